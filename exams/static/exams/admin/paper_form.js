// The paper form's formsets (fixed questions, drawing rules): "add a row"
// copies the formset's empty-form <template> and bumps TOTAL_FORMS.
document.querySelectorAll(".anxun-formset").forEach(function (section) {
    var prefix = section.dataset.prefix;
    var total = section.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var template = section.querySelector("template");
    var body = section.querySelector("tbody");
    section.querySelector(".anxun-formset__add").addEventListener("click", function () {
        var index = parseInt(total.value, 10);
        body.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, index));
        total.value = index + 1;
    });
});
