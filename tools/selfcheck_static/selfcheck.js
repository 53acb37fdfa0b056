// Self-check questions (tools/selfcheck.py): a click on an answer tells the
// reader whether it is right, with the explanation, in the question's result
// line. Plain DOM, no network, no library.
(function () {
  "use strict";
  function choose(button) {
    var box = button.closest(".selfcheck");
    var options = box.querySelectorAll("button.selfcheck-option");
    var explanation = button.parentElement.nextElementSibling;
    options.forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    button.setAttribute("aria-pressed", "true");
    var right = button.getAttribute("data-correct") === "true";
    box.setAttribute("data-state", right ? "right" : "wrong");
    var result = box.querySelector(".selfcheck-result");
    result.innerHTML = explanation ? explanation.innerHTML : (right ? "Right." : "Not quite.");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.selfcheck-option");
    if (button) { choose(button); }
  });
})();
