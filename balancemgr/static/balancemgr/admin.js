// Admin pages on a phone: the changelist filters fold behind a "Filters" button, so the rows come
// first. A static file because our content security policy allows no inline script.
document.addEventListener("DOMContentLoaded", () => {
  const changelist = document.getElementById("changelist");
  const filters = document.getElementById("changelist-filter");
  if (!changelist || !filters) return;
  const button = document.createElement("button");
  button.type = "button";
  button.id = "filters-toggle";
  button.className = "button";
  button.setAttribute("aria-controls", "changelist-filter");
  button.setAttribute("aria-expanded", "false");
  // Django shows "Clear all filters" only while a filter is on.
  const active = filters.querySelector("#changelist-filter-extra-actions a:not(.viewlink):not(.hidelink)");
  button.textContent = active ? "Filters (on)" : "Filters";
  button.addEventListener("click", () => {
    const open = changelist.classList.toggle("filters-open");
    button.setAttribute("aria-expanded", String(open));
  });
  changelist.classList.add("filters-foldable");
  changelist.prepend(button);
});
