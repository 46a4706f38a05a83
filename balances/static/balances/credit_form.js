// Typing a custom amount selects "custom amount", so the preset that was selected before is not
// applied instead of what was typed (the form refuses the mix when JavaScript is off).
document.addEventListener("DOMContentLoaded", function () {
  var amount = document.querySelector("form.credit-change input[name='amount']");
  var custom = document.querySelector("form.credit-change input[name='preset'][value='custom']");
  if (!amount || !custom) {
    return;
  }
  amount.addEventListener("input", function () {
    if (amount.value.trim() !== "") {
      custom.checked = true;
    }
  });
});
