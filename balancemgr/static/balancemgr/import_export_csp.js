// django-import-export's export page wires its "Select all" toggle with an inline onchange
// attribute, which our content security policy blocks: wire it from this file instead.
document.addEventListener("DOMContentLoaded", () => {
  for (const toggle of document.querySelectorAll("input.select-toggle")) {
    toggle.addEventListener("change", onSelectToggleChange);
  }
});
