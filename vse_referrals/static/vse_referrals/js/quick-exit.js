// "Leave this site quickly": replace this page in the history so Back does not return to it.
// Pressing Escape three times in a row does the same.
(function () {
  "use strict";
  const link = document.querySelector("[data-vse-quick-exit]");
  if (!link) return;
  const leave = (event) => {
    if (event) event.preventDefault();
    document.body.hidden = true;
    window.location.replace(link.href);
  };
  link.addEventListener("click", leave);
  let presses = 0;
  let timer = null;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    presses += 1;
    clearTimeout(timer);
    timer = setTimeout(() => { presses = 0; }, 1500);
    if (presses >= 3) leave();
  });
})();
