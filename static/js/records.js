// Member record form: "Add a row" for the inline work history, family and awards (without JS the form
// still offers one empty row per part each time it is opened).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-formset]").forEach((fieldset) => {
    const prefix = fieldset.dataset.formset;
    const total = fieldset.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const max = fieldset.querySelector(`input[name="${prefix}-MAX_NUM_FORMS"]`);
    const template = fieldset.querySelector("template[data-formset-empty]");
    const rows = fieldset.querySelector("[data-formset-rows]");
    const button = fieldset.querySelector("[data-formset-add]");
    if (!total || !template || !rows || !button) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) return;
      const html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      const first = rows.lastElementChild && rows.lastElementChild.querySelector("input, select, textarea");
      if (first) first.focus();
    });
  });
});
