"""Hypothesis strategies for form posts: values a browser would send, and
values only a script or an attacker would."""

from django import forms
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Modest, so the whole suite stays within minutes on two cores. The fixtures
# (a client, the database) are shared by the examples of one test on purpose:
# each example checks its own writes against counts taken just before it.
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any text, including NUL, right-to-left marks, emoji and markup.
junk = st.text(max_size=80)
hostile = st.sampled_from(
    [
        "\x00",
        "a\x00b",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        '=HYPERLINK("http://evil.example")',
        "../../etc/passwd",
        "%00",
        "\u202e",
        "😀" * 50,
        "9" * 40,
        "-1",
        "0",
        "1e309",
        "NaN",
        " ",
    ]
)
# Longer than any field allows (max_length checks must refuse, not crash).
overlong = st.integers(min_value=201, max_value=20_000).map(lambda n: "x" * n)


def field(*valid) -> st.SearchStrategy:
    """Mostly valid values, else junk of every shape."""
    choices = [st.sampled_from([str(v) for v in valid])] if valid else []
    return st.one_of(*choices, *choices, junk, hostile, overlong)


def many(*valid) -> st.SearchStrategy:
    """A multi-value field (checkboxes): a list mixing valid and junk."""
    return st.lists(field(*valid), max_size=4)


def post(fields: dict) -> st.SearchStrategy:
    """A form post where any field may be missing."""
    return st.fixed_dictionaries({}, optional=fields)


def object_id(existing) -> st.SearchStrategy:
    """An id in a URL: one that exists, or any other, up to far beyond bigint."""
    return st.one_of(st.sampled_from(list(existing)), st.integers(min_value=0, max_value=10**30))


def form_post(form, **sensible) -> st.SearchStrategy:
    """A post for this form's fields. Half the time every field holds one of
    its own valid values (from its choices, "on" for a checkbox, else
    `sensible[name]`, a list or a strategy, or plain words), so the happy path is exercised too; the
    other half mixes in junk, and any field may be missing."""
    valid_shaped, mixed = {}, {}
    for name, form_field in form.fields.items():
        valid = sensible[name] if name in sensible else _valid_values(form_field)
        if isinstance(valid, st.SearchStrategy):
            valid_shaped[name], mixed[name] = valid, st.one_of(valid, junk, hostile, overlong)
        elif isinstance(form_field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            valid_shaped[name] = st.lists(st.sampled_from(valid), max_size=3, unique=True)
            mixed[name] = many(*valid)
        else:
            valid_shaped[name] = st.sampled_from(valid)
            mixed[name] = field(*valid)
    return st.one_of(st.fixed_dictionaries(valid_shaped), post(mixed))


def _valid_values(form_field) -> list[str]:
    if isinstance(form_field, forms.BooleanField):
        return ["on", ""]
    if hasattr(form_field, "choices"):
        # A choice list may be empty (no sources yet); blank is then the one valid value.
        return [_choice_value(value) for value, _ in form_field.choices if _choice_value(value) != ""] or [""]
    return ["Trained forty housing officers in mental health first aid."]


def _choice_value(value) -> str:
    # Model choice fields give ModelChoiceIteratorValue objects, plain ones strings.
    return str(getattr(value, "value", value))
