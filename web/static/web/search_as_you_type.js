// Search as you type on the admin's lists (web.admin_lists.SearchAsYouTypeMixin): a pause in typing
// fetches the list for the words typed so far and swaps in its rows, counts, filters and pages, and
// the address follows. Enter still submits the search form, which is all there is without this script.
(function () {
  "use strict";
  var PAUSE_MS = 300;

  function ready(callback) {
    if (document.readyState !== "loading") {
      callback();
    } else {
      document.addEventListener("DOMContentLoaded", callback);
    }
  }

  function swapListParts(fresh) {
    var container = document.querySelector(".changelist-form-container");
    var freshContainer = fresh.querySelector(".changelist-form-container");
    if (!container || !freshContainer) {
      return false;
    }
    // The search box stays where it is (moving it would take the focus away); what the server
    // rendered around it (history tabs and totals above, hints, dates and rows below) is replaced.
    var toolbar = container.querySelector(":scope > #toolbar");
    Array.from(container.children).forEach(function (child) {
      if (child !== toolbar) {
        child.remove();
      }
    });
    var aboveToolbar = true;
    Array.from(freshContainer.children).forEach(function (child) {
      if (child.id === "toolbar") {
        aboveToolbar = false;
        return;
      }
      var node = document.importNode(child, true);
      if (aboveToolbar && toolbar) {
        toolbar.before(node);
      } else {
        container.appendChild(node);
      }
    });
    swap("#changelist-search .quiet", fresh, "#changelist-search input[type=submit]");
    swap("#changelist-filter", fresh, null);
    // Export links carry the search: export what is now listed.
    swap("ul.object-tools", fresh, null);
    // What the server said about this search (a refused filter value, say), in place of older news.
    var news = fresh.querySelector("ul.messagelist");
    var oldNews = document.querySelector("ul.messagelist");
    if (oldNews) {
      oldNews.remove();
    }
    if (news && document.getElementById("content")) {
      document.getElementById("content").before(document.importNode(news, true));
    }
    // Django's admin wires the row checkboxes once on load: wire the new ones.
    var checkboxes = document.querySelectorAll("tr input.action-select");
    if (window.Actions && checkboxes.length) {
      window.Actions(checkboxes);
    }
    return true;
  }

  function swap(selector, fresh, after) {
    var old = document.querySelector(selector);
    var replacement = fresh.querySelector(selector);
    if (old && replacement) {
      old.replaceWith(document.importNode(replacement, true));
    } else if (old) {
      old.remove();
    } else if (replacement && after && document.querySelector(after)) {
      document.querySelector(after).after(document.importNode(replacement, true));
    }
  }

  ready(function () {
    var input = document.getElementById("searchbar");
    var form = document.getElementById("changelist-search");
    if (!input || !form) {
      return;
    }
    var timer = null;
    var inFlight = null;
    var searched = input.value;

    function search() {
      if (input.value === searched) {
        return;
      }
      searched = input.value;
      var query = new URLSearchParams(new FormData(form)).toString();
      var url = window.location.pathname + (query ? "?" + query : "");
      if (inFlight) {
        inFlight.abort();
      }
      inFlight = new AbortController();
      fetch(url, { credentials: "same-origin", signal: inFlight.signal })
        .then(function (response) {
          // A redirect (a refused filter) or an error page: show it as a submitted search would.
          if (!response.ok || response.redirected) {
            window.location.assign(url);
            return null;
          }
          return response.text();
        })
        .then(function (html) {
          if (html === null) {
            return;
          }
          var fresh = new DOMParser().parseFromString(html, "text/html");
          if (swapListParts(fresh)) {
            window.history.replaceState(null, "", url);
          } else {
            window.location.assign(url);
          }
        })
        .catch(function (error) {
          if (error.name !== "AbortError") {
            window.location.assign(url);
          }
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, PAUSE_MS);
    });
    form.addEventListener("submit", function () {
      window.clearTimeout(timer);
      if (inFlight) {
        inFlight.abort();
      }
    });
  });
})();
