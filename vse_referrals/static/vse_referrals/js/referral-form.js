// Progressive enhancement of the referral form: filter the receiving members by country and
// language, and suggest a higher priority. The form works the same without it.
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
})();
