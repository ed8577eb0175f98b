// Django admin: names and roles its widgets leave out (WCAG 4.1.2). Runs after the
// admin's own "load" handlers, which build the filter boxes, because this script
// is included after theirs.
"use strict";
(function () {
  function labelId(field) {
    const label = document.querySelector(`label[for="${field.id}"]`);
    if (!label) return null;
    if (!label.id) label.id = `${field.id}-label`;
    return label.id;
  }

  // Autocomplete selects: select2 names its combobox after the current choice only.
  function nameAutocompletes() {
    document.querySelectorAll("select.admin-autocomplete").forEach((select) => {
      const id = labelId(select);
      const box = select.nextElementSibling;
      if (!id || !box) return;
      const rendered = box.querySelector(".select2-selection__rendered");
      const selection = box.querySelector(".select2-selection");
      if (rendered) rendered.setAttribute("aria-labelledby", id);
      if (selection) selection.setAttribute("aria-labelledby", rendered ? `${id} ${rendered.id}` : id);
    });
  }

  // The filter boxes' search icons carry a description on a bare <span>.
  function roleSearchIcons() {
    document.querySelectorAll(".search-label-icon[aria-label]").forEach((icon) => icon.setAttribute("role", "img"));
  }

  // select2 starts in a jQuery "ready" handler; this one is queued after it.
  if (window.django && window.django.jQuery) window.django.jQuery(nameAutocompletes);
  window.addEventListener("load", roleSearchIcons);
  document.addEventListener("formset:added", nameAutocompletes);
})();
