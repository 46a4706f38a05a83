// Admin pages, loaded without defer so that it runs before the admin's nav_sidebar.js.
// A static file because our content security policy allows no inline script.

// The app list beside every page starts closed: on a 1400 px screen the lists need its 300 px.
// Its « button opens it, and the admin remembers that choice in the same key.
if (window.localStorage.getItem("django.admin.navSidebarIsOpen") === null) {
  window.localStorage.setItem("django.admin.navSidebarIsOpen", "false");
}

// On a phone the changelist filters fold behind a "Filters" button, so the rows come first.
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
