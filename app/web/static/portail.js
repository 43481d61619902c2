/* Portail famille: progressive enhancement only — every page works without this file (the forms post, the
   server answers with a page). With it, on « Réserver »:
   - the calendar is one tab stop: the arrows move between the days that can be clicked (Left/Right: the day
     before/after, Up/Down: the week before/after, Home/End: the first/last of the week, Ctrl+Home/End: of the
     month, PageUp/PageDown: the month before/after), Enter or Space asks for the day;
   - a day is asked for without reloading the page: its form is sent with fetch, the page the server answers
     replaces the calendar and the « demandes en cours » block, the focus comes back on the same day and the
     count is announced (aria-live);
   - the structure chosen lists its activities at once.
   Served from /static (the Content-Security-Policy allows no inline script). */
(function () {
  "use strict";

  var queue = Promise.resolve();

  function days(grid) {
    return Array.prototype.slice.call(grid.querySelectorAll("td[data-jour]"));
  }

  function buttonOf(td) {
    return td ? td.querySelector("button.day") : null;
  }

  /* One tab stop in the grid: the day ``wanted`` (ISO date) when it can be clicked, else the day of the page's
     fragment, else the first day to book, else the first day that can be clicked. */
  function rove(grid, wanted) {
    var cells = days(grid).filter(buttonOf);
    if (!cells.length) {
      return null;
    }
    cells.forEach(function (td) {
      buttonOf(td).tabIndex = -1;
    });
    var hash = window.location.hash.slice(1);
    var start =
      cells.filter(function (td) { return td.dataset.jour === wanted; })[0] ||
      cells.filter(function (td) { return td.id === hash; })[0] ||
      cells.filter(function (td) { return buttonOf(td).dataset.action === "add"; })[0] ||
      cells[0];
    buttonOf(start).tabIndex = 0;
    return buttonOf(start);
  }

  function current(grid) {
    return grid.querySelector('button.day[tabindex="0"]');
  }

  function moveTo(grid, button) {
    if (!button) {
      return;
    }
    var before = current(grid);
    if (before) {
      before.tabIndex = -1;
    }
    button.tabIndex = 0;
    button.focus();
  }

  /* The button ``step`` days away in the grid's order (five days a week), skipping the days that cannot be
     clicked; with ``sameColumn``, only the same weekday of the weeks before or after. */
  function away(grid, from, step, sameColumn) {
    var cells = days(grid);
    var i = cells.indexOf(from.closest("td"));
    for (var j = i + step; j >= 0 && j < cells.length; j += sameColumn ? step : Math.sign(step)) {
      if (buttonOf(cells[j])) {
        return buttonOf(cells[j]);
      }
    }
    return null;
  }

  function keys(event) {
    var grid = event.currentTarget;
    var here = event.target.closest("button.day");
    if (!here) {
      return;
    }
    var row = here.closest("tr");
    var inRow = Array.prototype.slice.call(row.querySelectorAll("button.day"));
    var all = Array.prototype.slice.call(grid.querySelectorAll("button.day"));
    var target;
    switch (event.key) {
      case "ArrowLeft": target = away(grid, here, -1, false); break;
      case "ArrowRight": target = away(grid, here, 1, false); break;
      case "ArrowUp": target = away(grid, here, -5, true); break;
      case "ArrowDown": target = away(grid, here, 5, true); break;
      case "Home": target = event.ctrlKey ? all[0] : inRow[0]; break;
      case "End": target = event.ctrlKey ? all[all.length - 1] : inRow[inRow.length - 1]; break;
      case "PageUp":
      case "PageDown":
        event.preventDefault();
        month(event.key === "PageUp" ? "Mois précédent" : "Mois suivant");
        return;
      default: return;
    }
    event.preventDefault();
    moveTo(grid, target);
  }

  function setUp(wanted, focus) {
    var grid = document.getElementById("grille");
    if (!grid) {
      return;
    }
    grid.addEventListener("keydown", keys);
    var button = rove(grid, wanted);
    if (focus && button) {
      button.focus();
    }
  }

  /* The server's page after a day was asked for: its calendar and its « demandes en cours » replace ours. */
  function show(html, day) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var section = document.getElementById("calendrier");
    var newSection = fresh.getElementById("calendrier");
    var block = document.getElementById("demandes");
    if (!section || !newSection || !block || !fresh.getElementById("demandes")) {
      return false;
    }
    var active = document.activeElement;
    var inside = active && section.contains(active);
    var focused = inside && active.closest("[data-jour]") ? active.closest("[data-jour]").dataset.jour : day;
    var actions = document.getElementById("demandes-actions");
    var was = active && actions.contains(active) ? [active.tagName, active.textContent] : null;
    section.innerHTML = newSection.innerHTML;
    actions.innerHTML = fresh.getElementById("demandes-actions").innerHTML;
    if (was) { /* « Valider » reached before the answer came: it keeps the focus */
      Array.prototype.slice.call(actions.querySelectorAll(was[0])).some(function (element) {
        if (element.textContent === was[1]) {
          element.focus();
          return true;
        }
        return false;
      });
    }
    var said = block.querySelector(".flash");
    if (said) {
      said.remove();
    }
    var flash = fresh.querySelector("main .flash");
    if (flash) {
      flash.setAttribute("role", flash.classList.contains("error") ? "alert" : "status");
      block.insertBefore(flash, block.firstChild);
    }
    /* the live region stays the same element: only its words change, and are announced */
    document.getElementById("nb-demandes").innerHTML = fresh.getElementById("nb-demandes").innerHTML;
    setUp(focused, inside || active === document.body);
    return true;
  }

  function send(form) {
    var section = document.getElementById("calendrier");
    var day = form.querySelector('[name="jour"]').value;
    section.setAttribute("aria-busy", "true");
    /* getAttribute: the form has a field named « action », which ``form.action`` would give */
    return fetch(form.getAttribute("action"), {method: "POST", body: new FormData(form), credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) {
          /* never sent again (a second click would take the day back): the page read again shows where it stands */
          window.location.href = response.redirected ? response.url : window.location.href.split("#")[0];
          return null;
        }
        return response.text().then(function (html) {
          if (!show(html, day)) {
            window.location.href = response.url; /* another page (the session ended): go there */
          }
        });
      })
      .catch(function () {
        /* the request may or may not have reached the server: the page read again (a GET) says which */
        window.location.href = window.location.href.split("#")[0];
      })
      .then(function () {
        section = document.getElementById("calendrier");
        if (section) {
          section.removeAttribute("aria-busy");
        }
      });
  }

  /* PageUp/PageDown: the month before/after in place, the focus on its first day to book */
  function month(label) {
    var link = document.querySelector('#calendrier .month a[aria-label="' + label + '"]');
    if (!link) {
      return;
    }
    queue = queue.then(function () {
      return fetch(link.href, {credentials: "same-origin"})
        .then(function (response) {
          return response.text().then(function (html) {
            if (response.ok && show(html, null)) {
              window.history.replaceState(null, "", response.url);
            } else {
              window.location.href = link.href;
            }
          });
        })
        .catch(function () {
          window.location.href = link.href;
        });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!window.fetch || !window.DOMParser || !form.closest || !form.closest("#calendrier")) {
      return;
    }
    event.preventDefault();
    queue = queue.then(function () { return send(form); }); /* one after the other, in the order asked */
  });

  /* « Aller au calendrier »: straight onto the day that has the tab stop */
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href="#grille"]');
    var grid = document.getElementById("grille");
    var button = grid && current(grid);
    if (!link || !button) {
      return;
    }
    event.preventDefault();
    button.scrollIntoView({block: "center"});
    button.focus();
  });

  /* The structure chosen: its activities only, the first one selected (the page is shown with « Afficher ») */
  function structures() {
    var structure = document.getElementById("structure");
    var activity = document.getElementById("activite");
    var all = document.getElementById("activites-toutes");
    if (!structure || !activity || !all || !all.content) {
      return;
    }
    structure.addEventListener("change", function () {
      activity.innerHTML = "";
      Array.prototype.forEach.call(all.content.querySelectorAll("option"), function (option) {
        if (option.dataset.structure === structure.value) {
          activity.appendChild(option.cloneNode(true));
        }
      });
      activity.selectedIndex = 0;
    });
  }

  function start() {
    setUp(null, false);
    structures();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
