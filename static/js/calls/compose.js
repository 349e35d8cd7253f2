// The call's composition page: challenges and domains move up and down in place, and the use cases
// to add keep the order they were ticked in. Each part starts where the page holds what it works on;
// without this script every button is a form of its own, and the page reloads after each.

import { setUpPicking } from "./picking.js";
import { setUpReorder } from "./reorder.js";

setUpReorder(document.getElementById("challenges"));
setUpPicking(document.querySelector("form[data-pick-order]"));
