"""The outbox: email goes after the commit and never on rollback, survives a stopped SMTP server,
is sent once, and is kept in instance/mail/ when no SMTP server is configured."""

from __future__ import annotations

from datetime import timedelta

from lms.extensions import db
from lms.mail import services as mail
from lms.mail.models import FAILED, PENDING, SENT, OutboxMessage
from lms.models import utcnow

from .mail_helpers import SmtpServer, body, free_port, smtp  # noqa: F401 - smtp is a fixture


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars())
        db.session.expunge_all()
        return rows


def test_email_is_sent_when_the_transaction_commits(app, smtp):
    with app.app_context():
        mail.queue_mail("nadia@example.org", "Your evidence was decided", "Open the app to read the feedback.",
                        "decisions")
        db.session.flush()
        assert smtp.inbox.messages == []  # written, not sent: the change may still be rolled back
        db.session.commit()
    [message] = smtp.inbox.messages
    assert message["To"] == "nadia@example.org"
    assert message["Subject"] == "Your evidence was decided"
    assert message["From"] == app.config["MAIL_SENDER"]
    assert "Open the app to read the feedback." in body(message)
    [row] = outbox(app)
    assert (row.status, row.attempts) == (SENT, 1) and row.sent_at is not None


def test_nothing_is_sent_when_the_transaction_rolls_back(app, smtp):
    with app.app_context():
        mail.queue_mail("nadia@example.org", "Welcome", "Hello", "invitation")
        db.session.flush()
        db.session.rollback()
        assert mail.deliver_due(utcnow() + timedelta(days=1)) == {SENT: 0, FAILED: 0, PENDING: 0}
    assert smtp.inbox.messages == []
    assert outbox(app) == []


def test_a_savepoint_inside_the_transaction_sends_nothing_before_the_real_commit(app, smtp):
    with app.app_context():
        mail.queue_mail("nadia@example.org", "Outer", "Text", "decisions")
        with db.session.begin_nested():
            mail.queue_mail("nadia@example.org", "Kept", "Text", "badges")
        assert smtp.inbox.messages == []  # releasing a savepoint is not a commit
        try:
            with db.session.begin_nested():
                mail.queue_mail("nadia@example.org", "Undone", "Text", "badges")
                raise RuntimeError("e.g. a concurrent badge issue refused by the unique constraint")
        except RuntimeError:
            pass
        assert smtp.inbox.messages == []
        db.session.commit()
    assert sorted(m["Subject"] for m in smtp.inbox.messages) == ["Kept", "Outer"]


def test_a_stopped_smtp_server_delays_mail_but_loses_none(app):
    server = SmtpServer(free_port())  # not started: connections are refused
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=server.port, MAIL_TLS="none")
    with app.app_context():
        mail.queue_mail("nadia@example.org", "Reset your password", "A link", "reset")
        db.session.commit()  # the commit succeeds although the server is down
    [row] = outbox(app)
    assert (row.status, row.attempts) == (PENDING, 1)
    assert "Connection refused" in row.last_error or "ConnectionRefused" in row.last_error
    first_retry = row.next_attempt_at
    with app.app_context():
        assert mail.deliver_due() == {SENT: 0, FAILED: 0, PENDING: 0}  # not due yet: no hammering
    server.start()
    try:
        with app.app_context():
            assert mail.deliver_due(first_retry + timedelta(seconds=1)) == {SENT: 1, FAILED: 0, PENDING: 0}
            assert mail.deliver_due(first_retry + timedelta(hours=1)) == {SENT: 0, FAILED: 0, PENDING: 0}
    finally:
        server.stop()
    [message] = server.inbox.messages  # exactly once
    assert message["Subject"] == "Reset your password"
    [row] = outbox(app)
    assert (row.status, row.attempts, row.last_error) == (SENT, 2, "")


def test_retries_wait_longer_each_time_then_give_up_but_keep_the_message(app):
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=free_port(), MAIL_TLS="none", MAIL_MAX_ATTEMPTS=3)
    with app.app_context():
        mail.queue_mail("nadia@example.org", "Hello", "Text", "invitation")
        db.session.commit()
        waits = []
        now = utcnow()
        for _ in range(2):
            row = db.session.execute(db.select(OutboxMessage)).scalar_one()
            waits.append(row.next_attempt_at - now)
            now = row.next_attempt_at
            db.session.rollback()
            mail.deliver_due(now)
    assert waits[0] < waits[1]
    [row] = outbox(app)
    assert (row.status, row.attempts) == (FAILED, 3)
    assert row.body == "Text"  # kept, to be read or sent again by hand


def test_a_message_is_sent_once_even_if_two_workers_pick_it_up(app, smtp):
    app.config["TASK_QUEUE_IMMEDIATE"] = False
    with app.app_context():
        message = mail.queue_mail("nadia@example.org", "Once", "Only once", "decisions")
        db.session.flush()
        message_id = message.id
        db.session.info.pop("lms_mail_pending")  # as if the queue had lost the task
        db.session.commit()
        assert mail.deliver(message_id) == SENT
        assert mail.deliver(message_id) is None
        assert mail.deliver_due(utcnow() + timedelta(days=1))[SENT] == 0
    assert len(smtp.inbox.messages) == 1


def test_without_an_smtp_server_each_email_is_kept_as_a_file_in_instance_mail(app):
    assert not app.config.get("MAIL_HOST")
    with app.app_context():
        mail.queue_mail("nadia@example.org", "Welcome to MCF Mentoring", "Choose a password here.", "invitation")
        db.session.commit()
        folder = mail.mail_folder()
    assert folder.parent.name == "instance"
    [path] = folder.glob("*.eml")
    assert path.name.endswith("-invitation.eml")
    text = path.read_text()
    assert "Subject: Welcome to MCF Mentoring" in text and "To: nadia@example.org" in text
    assert "Choose a password here." in text
    assert outbox(app)[0].status == SENT


def test_mail_goes_through_the_task_queue_to_the_worker(app, smtp, tmp_path):
    from lms.tasks import huey, init_tasks

    app.config.update(TASK_QUEUE_IMMEDIATE=False, TASK_QUEUE_URL=None)
    init_tasks(app)  # the default queue: a SQLite file in instance/
    try:
        with app.app_context():
            mail.queue_mail("nadia@example.org", "Queued", "Via the worker", "decisions")
            db.session.commit()
        assert smtp.inbox.messages == []  # the request is done; the worker has not run yet
        assert huey.pending_count() == 1
        huey.execute(huey.dequeue())  # what the worker's consumer does
        assert [m["Subject"] for m in smtp.inbox.messages] == ["Queued"]
    finally:
        app.config["TASK_QUEUE_IMMEDIATE"] = True
        init_tasks(app)


def test_a_queue_server_that_is_down_fails_no_request_and_the_sweep_sends_later(app, smtp):
    from lms.tasks import init_tasks

    app.config.update(TASK_QUEUE_IMMEDIATE=False, TASK_QUEUE_URL=f"redis://127.0.0.1:{free_port()}/0")
    init_tasks(app)
    try:
        with app.app_context():
            mail.queue_mail("nadia@example.org", "Still arrives", "Text", "decisions")
            db.session.commit()  # the queue is unreachable: logged, not raised
            assert smtp.inbox.messages == []
            assert mail.deliver_due()[SENT] == 1  # the worker's minute sweep
    finally:
        app.config["TASK_QUEUE_IMMEDIATE"] = True
        init_tasks(app)
    assert [m["Subject"] for m in smtp.inbox.messages] == ["Still arrives"]
