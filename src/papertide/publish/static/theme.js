/* papertide: apply the reader's chosen theme before the page paints (see papertide.js). */
(function () {
  "use strict";
  try {
    var theme = window.localStorage.getItem("papertide-theme");
    if (theme === "light" || theme === "dark") {
      document.documentElement.setAttribute("data-theme", theme);
    }
    var lang = window.localStorage.getItem("papertide-lang");
    if (lang === "original" || lang === "translation") {
      document.documentElement.setAttribute("data-show-lang", lang);
    }
  } catch (e) {
    /* storage refused (private mode, file:// policy): the defaults apply */
  }
})();
