// ESLint for the pages' scripts: ES modules in the browser, loaded from static/js with no bundler.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["static/js/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
    rules: {
      "no-var": "off",
      eqeqeq: "error",
      "no-implicit-globals": "error",
      "no-unused-vars": ["error", { args: "after-used" }],
    },
  },
  {
    // The check-in page loads its script as a classic one, which brings in the fetch helper by import().
    files: ["static/js/checkin.js"],
    languageOptions: { sourceType: "script" },
  },
];
