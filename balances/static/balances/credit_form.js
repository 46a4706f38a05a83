// Typing a custom amount selects "custom amount", so the preset that was selected before is not
// applied instead of what was typed (the form refuses the mix when JavaScript is off). Checked
// once on load too: an amount typed before this script ran, or restored by the back button.
document.addEventListener("DOMContentLoaded", function () {
  var amount = document.querySelector("form.credit-change input[name='amount']");
  var custom = document.querySelector("form.credit-change input[name='preset'][value='custom']");
  if (!amount || !custom) {
    return;
  }
  function selectCustomWhenTyped() {
    if (amount.value.trim() !== "") {
      custom.checked = true;
    }
  }
  amount.addEventListener("input", selectCustomWhenTyped);
  selectCustomWhenTyped();
});
