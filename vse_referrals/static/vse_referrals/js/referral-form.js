// Progressive enhancement of the referral form: filter the receiving members by country and
// language, suggest a higher priority, turn the hundred language tick-boxes into a searchable
// list (the ARIA combobox pattern over the same tick-boxes, which are what the form sends), and
// say which of the victim's languages the chosen receiver works in. The form works without it.
(function () {
  "use strict";
  const form = document.querySelector("[data-vse-referral-form]");
  if (!form) return;

  const receiver = form.querySelector("select[name=receiving_organisation]");
  const filterBox = form.querySelector("[data-vse-receiver-filter]");
  if (receiver && filterBox) {
    const countrySelect = filterBox.querySelector("[data-vse-filter=country]");
    const languageSelect = filterBox.querySelector("[data-vse-filter=language]");
    const options = Array.from(receiver.options).filter((option) => option.value);
    const countries = new Map();
    const languages = new Set();
    options.forEach((option) => {
      countries.set(option.dataset.country, option.textContent.split(" · ")[1] || option.dataset.country);
      (option.dataset.languages || "").split(" ").filter(Boolean).forEach((code) => languages.add(code));
    });
    Array.from(countries.entries())
      .sort((a, b) => a[1].localeCompare(b[1]))
      .forEach(([code, name]) => countrySelect.add(new Option(name, code)));
    const languageNames = new Intl.DisplayNames([document.documentElement.lang || "en"], { type: "language" });
    Array.from(languages)
      .map((code) => [code, languageNames.of(code) || code])
      .sort((a, b) => a[1].localeCompare(b[1]))
      .forEach(([code, name]) => languageSelect.add(new Option(name, code)));
    const applyFilter = () => {
      const country = countrySelect.value;
      const language = languageSelect.value;
      options.forEach((option) => {
        const matches =
          (!country || option.dataset.country === country) &&
          (!language || (option.dataset.languages || "").split(" ").includes(language));
        option.hidden = !matches && !option.selected;
      });
    };
    countrySelect.addEventListener("change", applyFilter);
    languageSelect.addEventListener("change", applyFilter);
    filterBox.hidden = false;
  }

  const adviceBoxes = Array.from(form.querySelectorAll("[data-vse-priority-advice]"));
  const messages = {
    child: form.dataset.vseAdviceChild || "the victim is a child",
    risk: form.dataset.vseAdviceRisk || "the assessment records a risk",
    leaving: form.dataset.vseAdviceLeaving || "the victim leaves the country within a week",
  };
  const show = (reasons) => {
    adviceBoxes.forEach((box) => {
      box.querySelector("[data-vse-priority-reasons]").textContent = reasons.join("; ");
      box.hidden = reasons.length === 0;
    });
  };
  const updateAdvice = () => {
    const priority = form.querySelector("[name=priority]");
    if (!priority || priority.value === "stat") {
      show([]);
      return;
    }
    const reasons = [];
    const age = form.querySelector("[name=age_band]");
    if (age && age.value === "child") reasons.push(messages.child);
    if (form.querySelector("[name^=risk_]:checked")) reasons.push(messages.risk);
    const leaving = form.querySelector("[name=leaves_country_on]");
    if (leaving && leaving.value) {
      const days = (new Date(leaving.value) - new Date()) / 86400000;
      if (days <= 7) reasons.push(messages.leaving);
    }
    show(reasons);
  };
  form.addEventListener("change", updateAdvice);
  updateAdvice();

  const format = (template, values) => template.replace(/%\((\w+)\)s/g, (match, key) => values[key] ?? match);

  // Languages: one text box to search, a list box of matches, and a button per chosen language.
  const languageBoxes = Array.from(form.querySelectorAll("input[type=checkbox][name=languages]"));
  const languageList = languageBoxes.length ? languageBoxes[0].closest("[id=id_languages]") : null;
  if (languageList) {
    const labelOf = (box) => box.closest("label").textContent.trim();
    const picker = document.createElement("div");
    picker.className = "vse-language-picker";
    const search = document.createElement("input");
    search.type = "text";
    search.id = "vse-language-search";
    search.autocomplete = "off";
    search.setAttribute("role", "combobox");
    search.setAttribute("aria-autocomplete", "list");
    search.setAttribute("aria-expanded", "false");
    search.setAttribute("aria-controls", "vse-language-options");
    const help = document.createElement("p");
    help.id = "vse-language-search-help";
    help.className = "help";
    help.textContent = form.dataset.vseLanguageHelp || "";
    search.setAttribute("aria-describedby", help.id);
    const listbox = document.createElement("ul");
    listbox.id = "vse-language-options";
    listbox.className = "vse-language-picker__options";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-multiselectable", "true");
    listbox.hidden = true;
    const chosen = document.createElement("ul");
    chosen.className = "vse-language-picker__chosen";
    const options = languageBoxes.map((box, index) => {
      const option = document.createElement("li");
      option.id = `vse-language-option-${index}`;
      option.setAttribute("role", "option");
      option.textContent = labelOf(box);
      option.dataset.search = `${labelOf(box)} ${box.dataset.code || ""}`
        .normalize("NFD")
        .replace(/[\u0300-\u036f]/g, "")
        .toLowerCase();
      option.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the box
      option.addEventListener("click", () => choose(index));
      listbox.append(option);
      return option;
    });
    const empty = document.createElement("li");
    empty.className = "vse-language-picker__empty";
    empty.textContent = form.dataset.vseNoLanguageMatch || "";
    empty.hidden = true;
    listbox.append(empty);
    let active = -1;

    const visible = () => options.filter((option) => !option.hidden);
    const setActive = (option) => {
      options.forEach((each) => each.classList.remove("is-active"));
      active = option ? options.indexOf(option) : -1;
      if (option) {
        option.classList.add("is-active");
        option.scrollIntoView({ block: "nearest" });
        search.setAttribute("aria-activedescendant", option.id);
      } else {
        search.removeAttribute("aria-activedescendant");
      }
    };
    const open = () => {
      const query = search.value.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
      options.forEach((option) => {
        option.hidden = Boolean(query) && !option.dataset.search.includes(query);
      });
      const matches = visible();
      empty.hidden = matches.length > 0;
      listbox.hidden = false;
      search.setAttribute("aria-expanded", "true");
      setActive(matches.includes(options[active]) ? options[active] : matches[0]);
    };
    const close = () => {
      listbox.hidden = true;
      search.setAttribute("aria-expanded", "false");
      setActive(null);
    };
    const renderChosen = () => {
      chosen.replaceChildren();
      languageBoxes.forEach((box, index) => {
        options[index].setAttribute("aria-selected", String(box.checked));
        if (!box.checked) return;
        const item = document.createElement("li");
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button button-small button-secondary";
        remove.textContent = `${labelOf(box)} ×`;
        remove.setAttribute("aria-label", format(form.dataset.vseRemoveLanguage || "%(language)s", { language: labelOf(box) }));
        remove.addEventListener("click", () => {
          toggle(index);
          search.focus();
        });
        item.append(remove);
        chosen.append(item);
      });
    };
    const toggle = (index) => {
      languageBoxes[index].checked = !languageBoxes[index].checked;
      renderChosen();
      languageBoxes[index].dispatchEvent(new Event("change", { bubbles: true }));
    };

    // Choosing closes the list, so it never stands over the next control.
    const choose = (index) => {
      toggle(index);
      search.value = "";
      close();
    };

    search.addEventListener("input", open);
    search.addEventListener("focus", () => search.value && open());
    search.addEventListener("blur", close);
    search.addEventListener("keydown", (event) => {
      const matches = visible();
      const position = matches.indexOf(options[active]);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (listbox.hidden) {
          open();
          return;
        }
        const step = event.key === "ArrowDown" ? 1 : -1;
        setActive(matches[Math.min(Math.max(position + step, 0), matches.length - 1)]);
      } else if (event.key === "Enter") {
        event.preventDefault(); // never submits the form from here
        if (!listbox.hidden && active >= 0) choose(active);
      } else if (event.key === "Escape") {
        if (!listbox.hidden) {
          event.preventDefault();
          close();
        } else {
          search.value = "";
        }
      }
    });

    const label = languageList.closest("[data-field-wrapper]")?.querySelector(".w-field__label");
    if (label) label.htmlFor = search.id;
    picker.append(search, help, listbox, chosen);
    languageList.hidden = true;
    languageList.after(picker);
    // The error summary links to the first tick-box, now hidden: send it to the search box instead.
    document
      .querySelectorAll(`#vse-error-summary a[href="#${languageBoxes[0].id}"]`)
      .forEach((link) => link.setAttribute("href", `#${search.id}`));
    renderChosen();
  }

  // The victim's languages against the receiver's, beside the languages (also on the preview).
  const support = form.querySelector("[data-vse-language-support]");
  if (receiver && support && languageBoxes.length) {
    const updateSupport = () => {
      const option = receiver.selectedOptions[0];
      const spoken = languageBoxes.filter((box) => box.checked);
      support.replaceChildren();
      if (!option || !option.value || !spoken.length) {
        support.hidden = true;
        return;
      }
      const offered = (option.dataset.languages || "").split(" ");
      const organisation = option.dataset.name;
      const list = document.createElement("ul");
      spoken.forEach((box) => {
        const supported = offered.includes(box.dataset.code);
        const item = document.createElement("li");
        item.className = supported ? "vse-language-support--yes" : "vse-language-support--no";
        const name = document.createElement("strong");
        name.textContent = box.closest("label").textContent.trim();
        const note = supported ? support.dataset.vseSupported : support.dataset.vseUnsupported;
        item.append(name, `: ${format(note, { organisation })}`);
        list.append(item);
      });
      support.append(list);
      support.hidden = false;
    };
    receiver.addEventListener("change", updateSupport);
    languageBoxes.forEach((box) => box.addEventListener("change", updateSupport));
    updateSupport();
  }
})();
