"""Reading and checking an enrolment CSV file, without an app."""

from __future__ import annotations

from lms.domain.enrolment import CREATE, ENROL, NOTICE, ExistingAccount, check_rows, decode, read_csv

COHORTS = ["Intake A", "Intake B"]


def plan_of(text, chosen=None, existing=None):
    return check_rows(read_csv(text), chosen, COHORTS, existing or {})


def test_semicolons_accents_and_a_byte_order_mark_are_read():
    text, problem = decode("\ufeffNom complet;E-mail;School;Region\n"
                           "Zoë Rivière;ZOE@example.mu;Collège Royal de Curepipe;Plaines Wilhems\n".encode("utf-8"))
    assert problem is None
    # "Nom complet" is not a name column: the header names what is missing.
    assert [str(p) for p in read_csv(text).problems] == [
        "row 1: the header has no name column. The first row names the columns: name, email, school, "
        "and optionally region and cohort."]
    parsed = read_csv(text.replace("Nom complet", "Name"))
    assert parsed.rows[0].name == "Zoë Rivière" and parsed.rows[0].school == "Collège Royal de Curepipe"
    plan = check_rows(parsed, "Intake A", COHORTS, {})
    assert [(a.row, a.action, a.email, a.cohort, a.region) for a in plan.actions] == [
        (2, CREATE, "zoe@example.mu", "Intake A", "Plaines Wilhems")]


def test_every_bad_row_is_named_with_its_problem():
    text = ("name,email,school,cohort\n"
            "Ann Ah,ann@example.org,School 1,Intake A\n"      # row 2: fine
            "Bob Bee,bob@,School 2,Intake A\n"                # row 3: malformed email
            ",cid@example.org,School 3,Intake A\n"            # row 4: missing name
            "Ann Again,ANN@example.org,School 1,Intake A\n"   # row 5: duplicate of row 2
            "Dev Dee,dev@example.org,School 4,Intake Z\n"     # row 6: unknown cohort
            "Eve Ee,eve@example.org,School 5,intake b\n"      # row 7: differs from the chosen one
            "\n"
            "Fay Ef,fay@example.org,School 6,\n")             # row 9: no cohort here, the chosen one applies
    plan = plan_of(text, chosen="Intake A")
    problems = {p.row: p.message for p in plan.problems}
    assert sorted(problems) == [3, 4, 5, 6, 7]
    assert "“bob@” is not a valid email address" in problems[3]
    assert problems[4] == "the name is missing."
    assert problems[5] == "ann@example.org is also on row 2; each person may appear once."
    assert "no cohort called “Intake Z”" in problems[6]
    assert "differs from the one chosen for this file (“Intake A”)" in problems[7]
    assert [(a.row, a.cohort) for a in plan.actions] == [(2, "Intake A"), (9, "Intake A")]


def test_without_a_cohort_column_a_cohort_must_be_chosen():
    text = "name,email,school\nAnn Ah,ann@example.org,School 1\n"
    assert [str(p) for p in plan_of(text).problems] == [
        "row 1: the file has no cohort column: choose the cohort these people join."]
    assert plan_of(text).actions == ()
    assert [a.cohort for a in plan_of(text, chosen="Intake B").actions] == ["Intake B"]


def test_existing_accounts_are_enrolled_noticed_or_refused():
    text = ("name,email,school,cohort\n"
            "Ann Ah,ann@example.org,School 1,Intake A\n"
            "Bob Bee,bob@example.org,School 2,Intake A\n"
            "Cid Cee,cid@example.org,School 3,Intake A\n"
            "Dev Dee,dev@example.org,School 4,Intake A\n")
    existing = {"ann@example.org": ExistingAccount("ann@example.org", True, "Intake A"),
                "bob@example.org": ExistingAccount("bob@example.org", True, "Intake B"),
                "cid@example.org": ExistingAccount("cid@example.org", True, None),
                "dev@example.org": ExistingAccount("dev@example.org", False, None)}
    plan = plan_of(text, existing=existing)
    assert [(n.row, n.kind, n.message) for n in plan.notices] == [
        (2, NOTICE, "ann@example.org is already enrolled in “Intake A”: nothing to do.")]
    assert {p.row for p in plan.problems} == {3, 5}
    assert "already in the cohort “Intake B”" in plan.problems[0].message
    assert "deactivated" in plan.problems[1].message
    assert [(a.row, a.action) for a in plan.actions] == [(4, ENROL)]


def test_the_fingerprint_changes_with_what_confirming_would_do():
    text = "name,email,school,cohort\nAnn Ah,ann@example.org,School 1,Intake A\n"
    first = plan_of(text).fingerprint()
    assert plan_of(text).fingerprint() == first
    enrolled = {"ann@example.org": ExistingAccount("ann@example.org", True, "Intake A")}
    assert plan_of(text, existing=enrolled).fingerprint() != first


def test_a_file_that_is_not_utf8_names_its_row():
    text, problem = decode("name,email,school\nAnn,ann@example.org,École\n".encode("latin-1"))
    assert text is None
    assert str(problem).startswith("row 2: this row is not UTF-8 text")


def test_an_empty_file_or_a_missing_column_says_what_the_header_needs():
    assert str(read_csv("").problems[0]).startswith("row 1: the file is empty")
    assert "no school column" in str(read_csv("name,email\nA,a@example.org\n").problems[0])
