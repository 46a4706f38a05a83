// The amount field of every form that takes credits (web/credit_amount.py): typing an amount selects
// "custom amount" and choosing a preset clears the typed amount, so the form never posts both (the
// server refuses a preset with a different typed amount, which is what happens without JavaScript).
// Checked once on load too: an amount typed before this script ran, or restored by the back button.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-credit-amount]").forEach(function (field) {
    var typed = field.querySelector("input[type='text']");
    var custom = field.querySelector("input[type='radio'][value='custom']");
    if (!typed || !custom) {
      return;
    }
    function selectCustomWhenTyped() {
      if (typed.value.trim() !== "") {
        custom.checked = true;
      }
    }
    field.querySelectorAll("input[type='radio']").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.checked && radio !== custom) {
          typed.value = "";
        }
      });
    });
    typed.addEventListener("input", selectCustomWhenTyped);
    selectCustomWhenTyped();
  });
});
