"""Command line: `flask --app lms content check`, `users create`, `demo seed`."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .auth import services
from .content_store import content_report
from .extensions import db
from .models import ROLES, User

content_cli = AppGroup("content", help="Check the course content.")
users_cli = AppGroup("users", help="Manage accounts.")
demo_cli = AppGroup("demo", help="Demo data for trying the app.")
badges_cli = AppGroup("badges", help="Issued Open Badges: list, verify, revoke.")


def public_request_context():
    """A request context for building public URLs outside a web request: PUBLIC_BASE_URL, else the
    address `make run` serves (http://127.0.0.1:$PORT)."""
    import os
    base = current_app.config.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    return current_app.test_request_context(base_url=base)


@badges_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def badges_list(as_json: bool) -> None:
    """List issued assertions with their URLs."""
    from .badges.models import BadgeAssertion
    from .urls import public_url

    rows = []
    with public_request_context():
        for a in db.session.execute(db.select(BadgeAssertion).order_by(BadgeAssertion.id)).scalars():
            rows.append({
                "id": a.public_id,
                "recipient": a.recipient_email,
                "badge_class": a.badge_class_id,
                "name": a.badge_name,
                "status": a.status(),
                "issued_on": a.issued_at.isoformat(),
                "assertion_url": public_url("badges.assertion", public_id=a.public_id),
                "credential_url": public_url("badges.credential", public_id=a.public_id),
                "credential_png_url": public_url("badges.credential_png", public_id=a.public_id),
                "credential_svg_url": public_url("badges.credential_svg", public_id=a.public_id),
                "baked_png_url": public_url("badges.baked_png", public_id=a.public_id),
                "baked_svg_url": public_url("badges.baked_svg", public_id=a.public_id),
                "public_page_url": public_url("badges.public_page", public_id=a.public_id),
            })
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['id']}  {row['badge_class']:<4} {row['status']:<8} {row['recipient']}  {row['assertion_url']}")


@badges_cli.command("verify")
@click.argument("target")
@click.option("--email", default=None, help="Also check that the badge was issued to this email.")
def badges_verify(target: str, email: str | None) -> None:
    """Verify a baked image, a JSON file or a URL of this issuer; exit 1 unless valid."""
    from pathlib import Path as _Path

    from .badges import services as badge_services

    path = _Path(target)
    data = path.read_bytes() if path.is_file() else target
    with public_request_context():
        result = badge_services.verify(data, email)
    click.echo(result.summary())
    for line in result.checks:
        click.echo(f"  ✓ {line}")
    if result.status != "valid":
        sys.exit(1)


@badges_cli.command("revoke")
@click.argument("assertion_id")
@click.option("--reason", required=True, help="Why: shown to anyone who checks the badge.")
def badges_revoke(assertion_id: str, reason: str) -> None:
    """Revoke an issued badge (by the id shown in `badges list`)."""
    from .badges import services as badge_services

    with public_request_context():
        try:
            assertion = badge_services.revoke(None, assertion_id, reason)
        except badge_services.BadgeError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Revoked {assertion.public_id} ({assertion.badge_class_id}, {assertion.recipient_email}).")


@badges_cli.command("sign")
@click.option("--all", "everything", is_flag=True,
              help="Sign every credential and status list again (after a change of issuer profile).")
def badges_sign(everything: bool) -> None:
    """Sign the credentials issued while PUBLIC_BASE_URL was not set (or, with --all, every one)."""
    from .badges import services as badge_services

    with public_request_context():
        try:
            count = badge_services.resign_all() if everything else badge_services.sign_unsigned()
        except badge_services.BadgeError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Signed {count} credential(s).")


@badges_cli.command("rotate-key")
@click.confirmation_option(prompt="Retire the signing key and sign every credential again with a new one?")
def badges_rotate_key() -> None:
    """Retire the signing key (kept in the key history, so what it signed still verifies here) and
    sign every credential and status list with a new key."""
    from .badges import keys, services as badge_services

    with public_request_context():
        try:
            badge_services.require_base_url()
        except badge_services.BadgeError as exc:
            raise click.ClickException(str(exc)) from None
        method = keys.rotate_key()
        count = badge_services.resign_all()
    click.echo(f"New key {method}; {count} credential(s) signed again.")


@content_cli.command("check")
def content_check() -> None:
    """Validate framework and units; print each problem as path:line: message, then a summary."""
    # The app factory has loaded and checked the content already; content with errors never gets
    # this far, because the factory stops with the same report.
    report = content_report()
    for line in report.lines():
        click.echo(line)
    if report.problems:
        sys.exit(1)


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", "roles", type=click.Choice(ROLES), multiple=True,
              help="A role to give (repeat for several); default: learner.")
def users_create(email: str, name: str, roles: tuple[str, ...]) -> None:
    """Create an account. The password is asked for, or read from standard input when piped."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = services.create_user(email, name, password, roles or "learner")
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role_labels} {user.email} (id {user.id}).")


@users_cli.command("list")
def users_list() -> None:
    """List accounts: id, roles, email, name."""
    for user in db.session.execute(db.select(User).order_by(User.id)).scalars():
        click.echo(f"{user.id}\t{','.join(sorted(user.roles))}\t{user.email}\t{user.name}")


DEMO_ACCOUNTS = (
    ("learner", "learner@demo.example.org", "Priya Ramdin"),
    ("assessor", "assessor@demo.example.org", "Jean-Marc Lebon"),
    ("lead_assessor", "lead@demo.example.org", "Nirmala Doorgakant"),
    ("admin", "admin@demo.example.org", "Aisha Goolam"),
    ("programme_lead", "programme@demo.example.org", "Nadia Baichoo"),
)
# People in the demo whose sign-ins are not printed: a second lead assessor who gives second marks,
# and two more learners whose evidence shows disagreement, moderation and overdue items.
DEMO_EXTRAS = (
    (("assessor", "lead_assessor"), "second-marker@demo.example.org", "Rishi Ramsurrun"),
    ("learner", "kavita@demo.example.org", "Kavita Seebaluck"),
    ("learner", "yannick@demo.example.org", "Yannick Rose"),
)
DEMO_LOGINS_FILE = "demo-logins.json"
DEMO_COMPLETED_UNITS = 3


@demo_cli.command("seed")
def demo_seed() -> None:
    """Create demo accounts (idempotent) and print their logins. Passwords live in instance/ only."""
    from .learning import services as learning

    logins_path = Path(current_app.instance_path) / DEMO_LOGINS_FILE
    logins = json.loads(logins_path.read_text()) if logins_path.exists() else {}
    changed = False
    for role, email, name in DEMO_ACCOUNTS:
        password = logins.get(email) or secrets.token_urlsafe(9)
        user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            user = services.create_user(email, name, password, role)
            if role == "learner":
                for unit in _demo_units()[:DEMO_COMPLETED_UNITS]:
                    learning.mark_complete(user, unit.slug)
        elif email not in logins:  # the logins file was lost: give the account a password we can print
            from .auth.passwords import hash_password
            user.password_hash = hash_password(password)
            db.session.commit()
        if logins.get(email) != password:
            logins[email], changed = password, True
    if changed:
        logins_path.write_text(json.dumps(logins, indent=2) + "\n")
        logins_path.chmod(0o600)
    for roles, email, name in DEMO_EXTRAS:
        if db.session.execute(db.select(User.id).where(User.email == email)).scalar_one_or_none() is None:
            services.create_user(email, name, secrets.token_urlsafe(12), roles)
    with public_request_context():  # decisions link to pages: URLs need a request
        _demo_evidence()
        _demo_invitation()
        from .cohorts.demo import seed_demo_cohort
        seed_demo_cohort(*(next(e for r, e, _ in DEMO_ACCOUNTS if r == role)
                           for role in ("programme_lead", "assessor", "learner")))
        _demo_double_marking()
        if _demo_user("assessor") is not None:
            from .badges.demo import seed_demo_badges
            seed_demo_badges(_demo_user("assessor"), _demo_user("admin"))
            from .badges.demo import seed_demo_endorsements, seed_renewed_badge
            seed_demo_endorsements(_demo_user("learner"))
            seed_renewed_badge(_demo_user("assessor"))
    # After the marking above: Jean-Marc's marks were second-marked while he was not yet calibrated.
    from .calibration.demo import seed_round
    seed_round(_demo_user("assessor"))
    from .register.demo import seed_register
    seed_register(_demo_user("learner"))
    from .journal.demo import seed_journal
    with public_request_context():
        seed_journal(_demo_user("learner"))
    click.echo("Demo accounts (passwords are kept in instance/demo-logins.json):")
    for role, email, _ in DEMO_ACCOUNTS:
        click.echo(f"  {role:<14} {email:<28} {logins[email]}")


def _demo_units():
    from .content_store import catalogue
    return catalogue().task_units


DEMO_REFLECTIONS = {
    "accepted": (
        "Before this unit I thought of mentoring as passing on tips. Comparing the apprenticeship, competency "
        "and reflective models made me see that with my student educator, Ravi, I had been using only the "
        "first: he watched me, then copied. In our second week I changed the routine. After each lesson he now "
        "speaks first about what he noticed, and I ask what evidence he has from the pupils' work. I also set "
        "out our ground rules in writing, including what I will and will not share with his MIE tutor, so he "
        "knows where he stands when I assess him. The attached note shows the first three conversations."
    ),
    "not_yet": (
        "I listed the roles I play as a mentor: guide, assessor, role model and sometimes counsellor. I think "
        "all of them matter and I try to do each one well with my student educator during SBE. I want to be a "
        "good example for her and for the other teachers in my department."
    ),
    "empathy-and-respect": (
        "When my student educator's Form 2 lesson fell apart, she was sure the pupils disliked her. I asked "
        "her to describe the lesson from the point of view of one pupil at the back, then from mine. Seeing "
        "it three ways, she noticed that the instructions came after the worksheets were handed out. I kept "
        "my own judgement back until she had finished, and we agreed she would give instructions first."
    ),
    "agency-and-wellbeing": (
        "Instead of giving my student educator a list of targets, I asked her to choose one focus for the "
        "fortnight and to decide how she would know it had worked. She chose questioning. We also agreed to "
        "end our Friday meetings on time, because she travels far, and to note one thing that went well "
        "each week. Her confidence in planning on her own grew over the two weeks, as her plans show."
    ),
    "dispositions-journal": (
        "Over four weeks I kept a short journal after each mentoring meeting: what I felt, what I assumed, "
        "and what I did. Reading it back, I saw that I grow impatient when lessons overrun, and that my "
        "feedback is sharper on those days. I now wait until the next morning to give feedback after a "
        "difficult lesson, and my student educator says our conversations feel calmer and more useful."
    ),
    "waiting": (
        "This week I mapped my mentoring responsibilities against what the school and the MIE expect. The "
        "biggest gap is time: our meetings are squeezed between lessons and often cancelled. My strength is "
        "that I know the syllabus and the school well. I have agreed a fixed thirty-minute slot on Wednesdays "
        "with my student educator and my head of department, and I will track whether it holds for four weeks."
    ),
}


# Each task asks for a few hundred words: the demo reflections go on with how the weeks went.
DEMO_PRACTICE = (
    "How I went about it. I kept the routine small enough to survive a busy term. Each Monday my student "
    "educator and I agreed one thing to look for that week, written on a single card: for example, how many "
    "pupils answered a question, or how long the class waited before an instruction was repeated. During the "
    "lesson I noted only that, with the time beside each note, so that the conversation afterwards could start "
    "from what happened rather than from my impression of it. After the lesson she spoke first. I asked what "
    "she had seen, what she thought had caused it, and what she would keep or change. Only then did I add what "
    "I had noted, and I tried to offer it as a second view rather than a verdict.\n\n"
    "What happened. The first two conversations were stiff. She waited for me to tell her how the lesson had "
    "gone and agreed with everything I said, which told me that the habit of being judged was stronger than "
    "any routine I could set out on paper. In the third week I stopped bringing my notes to the start of the "
    "meeting and asked her to bring a piece of pupils' work instead. That changed the conversation: we were "
    "both looking at the same page, and she could point to what a pupil had understood or missed. By the "
    "fourth week she was proposing the focus for the next lesson herself, and twice she disagreed with my "
    "reading of a moment in class and was right to.\n\n"
    "What I learned about my own practice. I talk too soon. When a lesson goes badly I want to reassure, and "
    "the reassurance closes the conversation before the student educator has worked out what went wrong. I "
    "also noticed that I praise effort in general terms and criticise in particular ones, which makes "
    "criticism sound more serious than it is. I now try to make both specific: what exactly worked, for which "
    "pupils, and how we know. Writing short notes after each meeting helped me see these patterns; without "
    "them I would have remembered the meetings as better than they were.\n\n"
    "What I will do next. I will keep the weekly focus card and the rule that she speaks first, and I will "
    "bring pupils' work to every meeting. I will ask my head of department to observe one of our "
    "conversations and tell me how much of the time I spend talking. At the end of the placement I will ask "
    "my student educator which parts of our routine helped her most and which felt like an extra task, and "
    "adjust the routine for the next student educator I mentor. The notes from our meetings, with names "
    "removed, are kept in my mentoring folder and I can share them with the assessor on request.\n\n"
    "A note on evidence. Everything described here can be checked: the focus cards, my dated notes from each "
    "meeting, two pieces of pupils' work we discussed, and a short written comment from my student educator "
    "about how our meetings changed over the four weeks. I asked her permission before including her comment, "
    "and I removed the names of pupils from the work samples. Where I describe her progress, I have tried to "
    "keep to what she did and said rather than to my own hopes for her, because an account of mentoring is "
    "only useful if it would survive her reading it.\n\n"
    "A harder week. In the fifth week a lesson with a Form 4 class went badly: the practical task ran long, "
    "the pupils grew restless and she raised her voice, which she had told me she never wanted to do. She came "
    "to our meeting expecting to be told off. Instead we replayed the lesson minute by minute from my notes and "
    "from her memory, and found the point where the task instructions had been given while pupils were still "
    "collecting equipment. She decided to hand out materials before explaining the task, and to give a time "
    "limit on the board. The next practical lesson ran to time. I learned that my notes are most useful on the "
    "bad days, and that the student educator's own analysis sticks far better than any advice of mine.\n\n"
    "Working with others. I shared our routine with the two other mentors in my department, and we now meet "
    "once a fortnight for twenty minutes to compare what we see. One of them uses a short video clip instead of "
    "written notes, with the student educator's consent, and I plan to try it. The head of department has "
    "agreed that mentors' meetings with student educators count as protected time on the timetable."
)
DEMO_GENERAL = (
    "Mentoring matters because student educators learn a great deal from the teachers around them, and a "
    "mentor is the person who helps them make sense of what they see. A good mentor listens, encourages and "
    "gives honest feedback. A mentor also needs to know the school well, so that the student educator can "
    "find their way around its routines, its expectations and its people. I believe that every teacher in a "
    "school has something to offer a newcomer, and that mentoring is part of being a professional.\n\n"
    "The roles of a mentor change over the placement. At the start the mentor is mostly a guide, showing how "
    "things are done. Later the mentor becomes more of a coach, asking questions rather than giving answers. "
    "Towards the end the mentor also assesses, which can be uncomfortable, because the same person who has "
    "supported the student educator must now judge their work. I think it is important to be clear about "
    "this from the beginning so that there are no surprises.\n\n"
    "A mentor is also a role model. Student educators notice how we speak to pupils, how we prepare, how we "
    "handle difficult moments and how we talk about our colleagues. This is a responsibility, and it means "
    "that mentors should keep learning themselves, reading about teaching, trying new approaches and "
    "reflecting on what works. Sometimes a mentor is a counsellor as well, when the student educator is "
    "tired or discouraged, and it is important to know when to listen and when to refer them to someone "
    "else who can help.\n\n"
    "In my school mentoring is valued, although time is always short. I would like to be a mentor who gives "
    "student educators confidence and helps them become independent. I think the most important qualities "
    "are patience, honesty and respect. I also think mentors should work closely with the MIE and with the "
    "school management, so that everyone gives the student educator the same message about what is expected. "
    "In the future I hope to develop these roles further and to share what I learn with my colleagues, so "
    "that mentoring in our school keeps improving for every student educator who joins us.\n\n"
    "There are also challenges. Teachers are busy, and mentoring can feel like an extra duty on top of a full "
    "timetable. Some student educators arrive with little experience of the classroom and need a lot of "
    "support, while others are confident and need to be challenged. Schools differ too, and what works in one "
    "school may not work in another. A mentor has to adapt to each situation and each person. Good "
    "communication is the key to all of this, together with a willingness to learn from mistakes. I believe "
    "that with the right attitude these challenges can be overcome, and that the effort is worth it, because "
    "the student educators of today will be the colleagues of tomorrow and the mentors of the future.\n\n"
    "Finally, mentoring is good for the mentor as well. Explaining why we teach the way we do makes us think "
    "about our own habits, and student educators often bring new ideas from their studies that are worth "
    "trying. A school that takes mentoring seriously becomes a place where everyone keeps learning, and this "
    "benefits the pupils most of all. For these reasons I think mentoring should be given more time and more "
    "recognition, and that mentors should be trained for the role rather than simply asked to do it. I am "
    "glad to be taking this course, because it gives a structure to what I have been doing informally for "
    "several years, and I hope it will help me to become a more effective mentor for the student educators "
    "who will come to our school in the years ahead, and to support my colleagues when they mentor too."
)


def _demo_evidence() -> None:
    """Evidence for the demo learner, decided through the real assessment code: accepted, not yet, waiting."""
    from .assessment import services as assessment
    from .evidence import services as evidence

    learner = _demo_user("learner")
    assessor = _demo_user("assessor")
    if learner is None or assessor is None or evidence.learner_submissions(learner):
        return
    rubric = _demo_rubric()
    units = _demo_units()
    proficient = rubric.level_by_id("proficient").value
    # The three Professional Dispositions units complete the DSP competency, and with it the PD
    # domain: the demo learner holds two badges.
    dispositions = [u for u in units if u.domain_id == "PD"]
    plan = (("accepted", units[0], proficient),
            ("not_yet", units[1], rubric.level_by_id("emerging").value),
            ("waiting", units[2], None),
            *(("accepted", unit, proficient) for unit in dispositions))
    for outcome, unit, level in plan:
        saved = evidence.save_draft(learner, unit.slug, evidence.DraftInput(
            reflection=_demo_reflection(unit, outcome), links_text="",
            expected_revision=0, checklist_ticked=unit.task.checklist), submit=True)
        if level is None:
            continue
        feedback = ("" if outcome == "accepted" else
                    "You name the roles clearly. What is missing is your own practice: give one real example "
                    "for each role from your work with your student educator, and say what changed as a result.")
        # Jean-Marc is not calibrated yet, so each of his marks gets a blind second mark; Rishi agrees.
        _demo_mark(assessor, saved.version.id, unit, outcome, level, feedback)
        _demo_mark(_demo_person("second-marker@demo.example.org"), saved.version.id, unit, outcome, level,
                   "" if outcome == "accepted" else "I agree: one real example for each role would make this.")
    # The waiting evidence has waited past the turnaround target: the queue flags it overdue.
    _demo_backdate(evidence.submission_for(learner, units[2].slug).latest.id, days=9)


def _demo_mark(assessor: User, version_id: int, unit, outcome: str, level: int, feedback: str = "") -> None:
    from .assessment import services as assessment

    assessment.claim(assessor, version_id)
    assessment.decide(assessor, assessment.Decision(
        version_id, outcome, feedback, tuple(assessment.IndicatorJudgement(i, level, "") for i in unit.task.indicator_ids)))


def _demo_person(email: str) -> User:
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one()


def _demo_backdate(version_id: int, days: int) -> None:
    """Demo only: pretend a submission arrived ``days`` ago (for overdue items)."""
    from datetime import timedelta

    from .assessment.models import MarkingCase
    from .evidence.models import EvidenceVersion
    from .models import utcnow

    when = utcnow() - timedelta(days=days)
    db.session.execute(db.update(EvidenceVersion).where(EvidenceVersion.id == version_id).values(submitted_at=when))
    db.session.execute(db.update(MarkingCase).where(MarkingCase.version_id == version_id).values(submitted_at=when))
    db.session.commit()


DEMO_DOUBLE_MARKING = {
    "kavita@demo.example.org": (
        "questioning",
        "I recorded my feedback conversation with my student educator and counted my questions: most were "
        "closed, and I answered half of them myself. The next week I planned three open questions in advance "
        "and waited after each one. She talked for longer, and she named a change to her lesson opening "
        "herself instead of waiting for me to suggest it. The transcript extracts show both conversations."),
    "yannick@demo.example.org": (
        "shared-goals",
        "My student educator and I wrote our goals for the practicum together in the first week. She wanted "
        "to manage group work; I wanted her to plan from the syllabus objectives. We agreed on one shared goal "
        "per fortnight and reviewed it every Friday. By week four she was setting the next goal herself."),
}


def _demo_double_marking() -> None:
    """Marks that disagree: one moderated by the lead assessor, one left waiting for moderation; and
    evidence waiting past the turnaround target."""
    from .assessment import services as assessment
    from .evidence import services as evidence

    jean_marc, rishi = _demo_user("assessor"), _demo_person("second-marker@demo.example.org")
    nirmala = _demo_user("lead_assessor")
    units = {u.slug: u for u in _demo_units()}
    rubric = _demo_rubric()
    strong, weak = rubric.level_by_id("accomplished").value, rubric.level_by_id("emerging").value
    for email, (slug, reflection) in DEMO_DOUBLE_MARKING.items():
        learner = _demo_person(email)
        if evidence.learner_submissions(learner):
            continue
        unit = units[slug]
        version_id = evidence.save_draft(learner, slug, evidence.DraftInput(
            _demo_reflection(unit, "accepted", reflection), "", 0, checklist_ticked=unit.task.checklist),
            submit=True).version.id
        _demo_mark(jean_marc, version_id, unit, "accepted", strong, "A clear, honest account with evidence.")
        _demo_mark(rishi, version_id, unit, "not_yet", weak,
                   "The account is clear, but there is no evidence from the student educator's side yet.")
        if email.startswith("kavita"):
            assessment.moderate(nirmala, assessment.Decision(
                version_id, "accepted", "",
                tuple(assessment.IndicatorJudgement(i, rubric.level_by_id("proficient").value, "")
                      for i in unit.task.indicator_ids)),
                "The transcripts are evidence from both sides: proficient, not accomplished; the second mark missed them.")
        # A second piece of evidence from each, waiting well past the target.
        other = "clear-communication" if email.startswith("kavita") else "climate-of-trust"
        waiting = evidence.save_draft(learner, other, evidence.DraftInput(
            _demo_reflection(units[other], "accepted", reflection), "", 0,
            checklist_ticked=units[other].task.checklist), submit=True).version.id
        _demo_backdate(waiting, days=12 if email.startswith("yannick") else 3)


DEMO_INVITEE = ("invited@demo.example.org", "Vikash Doorgah")


def _demo_invitation() -> None:
    """A mentor invited by the admin who has not chosen a password yet: the invitation is in instance/mail/."""
    from .auth.accounts import invite

    email, name = DEMO_INVITEE
    if db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none() is None:
        user = services.create_user(email, name, None, "learner", commit=False)
        invite(user, _demo_user("admin"))
        db.session.commit()


def _demo_reflection(unit, outcome: str, opening: str | None = None) -> str:
    """The demo learner's reflection for a unit, at least as long as its task asks."""
    from .domain.units import count_words

    opening = opening or DEMO_REFLECTIONS.get(unit.slug, DEMO_REFLECTIONS[outcome])
    paragraphs = (DEMO_GENERAL if outcome == "not_yet" else DEMO_PRACTICE).split("\n\n")
    text, taken = opening, 0
    while count_words(text) < (unit.task.min_words or 0) or taken < 3:
        text += "\n\n" + paragraphs[taken % len(paragraphs)]
        taken += 1
    return text


def _demo_user(role: str) -> User | None:
    email = next(e for r, e, _ in DEMO_ACCOUNTS if r == role)
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()


def _demo_rubric():
    from .content_store import catalogue
    return catalogue().rubric


def register_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    from .cohorts.cli import cohort_cli, report_cli
    for group in (content_cli, users_cli, demo_cli, badges_cli, cohort_cli, report_cli):
        app.cli.add_command(group)
    from .mail.cli import mail_cli, worker
    app.cli.add_command(mail_cli)
    app.cli.add_command(worker)
    from .calibration.cli import assessment_cli
    app.cli.add_command(assessment_cli)
    from .evidence.cli import evidence_cli
    app.cli.add_command(evidence_cli)
