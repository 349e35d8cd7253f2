// Breakout pages: characters left under each field, the need form (drafts kept in the browser, saving
// in the background, an outbox while offline, similar needs), the live board and votes without a reload.
// Each part starts where the page holds what it works on; every form also works without this script.

import { setUpBoard } from "./needs/board.js";
import { focusConsole, setUpCounters } from "./needs/fields.js";
import { setUpNeedForm } from "./needs/form.js";

const refreshCounters = setUpCounters();
const needForm = document.querySelector("form.need-form");
if (needForm) { setUpNeedForm(needForm, refreshCounters); }
focusConsole();
setUpBoard();
