"""Descriptions lose their XML-doc and HTML noise but keep their meaning (MANIFEST section 8)."""
from __future__ import annotations

import pytest

from generator.text import clean_text, summary_of


@pytest.mark.parametrize(("raw", "clean"), [
    ('Services from the <see cref="T:SuperOffice.CRM.Services.IBatchAgent">Batch Agent</see>.',
     "Services from the Batch Agent."),
    ("<para>Use MDO List name \"mrmrs\" to get list items.</para>", 'Use MDO List name "mrmrs" to get list items.'),
    ("<para />", ""),
    ('See <a href="https://tools.ietf.org/html/rfc6902">RFC6902</a>.', "See [RFC6902](https://tools.ietf.org/html/rfc6902)."),
    ('<a href="../x.htm">\nrestriction types reference for\noperator details\n</a>',
     "[restriction types reference for operator details](../x.htm)"),
    ("&lt;para/&gt;", ""),
    ("&amp;apos;applaction/octet-stream&amp;apos;", "'applaction/octet-stream'"),
    ("Use {SuperOffice.CRM.Services.PersonEntity.CustomFields} instead.", "Use PersonEntity.CustomFields instead."),
    ("Calls the {SuperOffice.CRM.Services.IPersonAgent} service", "Calls the IPersonAgent service"),
    ("then the image is \nscaled", "then the image is\nscaled"),
])
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_paragraph_breaks_survive_and_blank_runs_collapse():
    assert clean_text("One.\n\n\n\n\nTwo.") == "One.\n\nTwo."
    assert clean_text("A<para/>B") == "A\n\nB"


def test_summary_is_the_first_sentence():
    assert summary_of("Get a single BatchTaskInfo based on Id. More text.") == "Get a single BatchTaskInfo based on Id."
    # The docs' broken sentence split (`i.` `e.`) is joined again.
    assert summary_of("Get the object mappings, i.\n\ne., the what code objects.") == \
        "Get the object mappings, i.e., the what code objects."
    assert summary_of("## Online Restricted: ## The agent is restricted.\n\nChecks a password.") == \
        "**Online Restricted:** The agent is restricted."
    assert summary_of("## Heading\n\nThe prose.") == "The prose."


def test_pseudo_headings_become_labels_but_real_headings_stay():
    assert clean_text("## Online Restricted: ## The User agent is not available.") == \
        "**Online Restricted:** The User agent is not available."
    assert clean_text("## Filter Operators: ##\n\nints: eq") == "## Filter Operators: ##\n\nints: eq"
