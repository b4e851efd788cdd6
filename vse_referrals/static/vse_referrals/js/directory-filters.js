// Filters and pages of members without reload: the form's GET URL (or a page link's) is fetched
// and only the results (map + list) are swapped; the URL is updated so the filtered view can be
// shared. Without JavaScript the same form and links reload the page.
(function () {
  "use strict";
  const form = document.querySelector("[data-vse-directory-filters]");
  const region = document.getElementById("vse-directory-results");
  if (!form || !region || !window.fetch) return;

  // Resolves to whether the results were swapped in (otherwise the whole page is loading).
  const load = async (url, push) => {
    region.setAttribute("aria-busy", "true");
    try {
      // Not kept in the HTTP cache: Back to this URL must bring the whole page, not the results alone.
      const response = await fetch(url, {
        headers: { "X-Requested-With": "vse-directory" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!response.ok) throw new Error(String(response.status));
      region.innerHTML = await response.text();
      if (push) history.pushState({ vseDirectory: true }, "", url);
      document.dispatchEvent(new CustomEvent("vse-directory:updated"));
      return true;
    } catch (error) {
      window.location.assign(url);
      return false;
    } finally {
      region.removeAttribute("aria-busy");
    }
  };

  const urlFor = (params) => {
    const url = new URL(form.action, window.location.href);
    url.search = params.toString();
    return url.toString();
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams(new FormData(form));
    Array.from(params.keys()).forEach((key) => { if (!params.get(key)) params.delete(key); });
    load(urlFor(params), true);
  });
  form.addEventListener("change", () => form.requestSubmit());

  // Another page of members: its links carry the filters; the focus goes to the top of the new list.
  region.addEventListener("click", (event) => {
    const link = event.target.closest("[data-vse-pagination] a[href]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    load(link.href, true).then((swapped) => {
      const heading = swapped && document.getElementById("vse-list-heading");
      if (heading) heading.focus();
    });
  });

  document.addEventListener("vse-map:select", (event) => {
    event.preventDefault();
    const select = form.querySelector("[name=country]");
    if (select) select.value = event.detail.code;
    form.requestSubmit();
  });

  // Back and Forward: the form shows the filters of that URL again, then its results.
  const fillForm = (params) => {
    Array.from(form.elements).forEach((field) => {
      if (!field.name) return;
      if (field.type === "checkbox") field.checked = params.getAll(field.name).includes(field.value);
      else if (field.type !== "submit") field.value = params.get(field.name) || "";
    });
  };
  window.addEventListener("popstate", () => {
    fillForm(new URLSearchParams(window.location.search));
    load(window.location.href, false);
  });
})();
