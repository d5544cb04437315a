"""The emails Insighta sends: interview invitations, welcome and password-reset messages,
and invitations to join an organisation."""

from dataclasses import dataclass
from enum import Enum
from html import escape


class EmailKind(Enum):
    INVITE = "invite"
    WELCOME = "welcome"
    PASSWORD_RESET = "password_reset"
    USER_INVITE = "user_invite"  # an invitation to join an organisation (not an interview)


@dataclass(frozen=True, slots=True)
class EmailContent:
    kind: EmailKind
    to: str
    subject: str
    text: str
    html: str


def invite_email(
    *, to: str, candidate_name: str, role_title: str, organisation: str, join_url: str
) -> EmailContent:
    subject = f"Your interview for {role_title}"
    text = (
        f"Hello {candidate_name},\n\n"
        f"{organisation} invites you to an interview for the {role_title} role. The interview "
        "is held by an AI interviewer; it takes about 30 minutes and needs a microphone.\n\n"
        f"Join here when you are ready: {join_url}\n\n"
        "Good luck!\n"
    )
    html = (
        f"<p>Hello {escape(candidate_name)},</p>"
        f"<p>{escape(organisation)} invites you to an interview for the "
        f"<strong>{escape(role_title)}</strong> role. The interview is held by an AI "
        "interviewer; it takes about 30 minutes and needs a microphone.</p>"
        f'<p><a href="{escape(join_url, quote=True)}">Join the interview</a></p>'
        "<p>Good luck!</p>"
    )
    return EmailContent(EmailKind.INVITE, to, subject, text, html)


def welcome_email(*, to: str, name: str, sign_in_url: str) -> EmailContent:
    subject = "Welcome to Insighta"
    text = f"Hello {name},\n\nYour Insighta account is ready. Sign in at {sign_in_url}\n"
    html = (
        f"<p>Hello {escape(name)},</p><p>Your Insighta account is ready. "
        f'<a href="{escape(sign_in_url, quote=True)}">Sign in</a>.</p>'
    )
    return EmailContent(EmailKind.WELCOME, to, subject, text, html)


def password_reset_email(*, to: str, name: str, reset_url: str, valid_minutes: int) -> EmailContent:
    subject = "Reset your Insighta password"
    text = (
        f"Hello {name},\n\nSomeone asked to reset your Insighta password. If it was you, "
        f"open {reset_url} within {valid_minutes} minutes. If not, ignore this email.\n"
    )
    html = (
        f"<p>Hello {escape(name)},</p><p>Someone asked to reset your Insighta password. If it "
        f'was you, <a href="{escape(reset_url, quote=True)}">choose a new one</a> within '
        f"{valid_minutes} minutes. If not, ignore this email.</p>"
    )
    return EmailContent(EmailKind.PASSWORD_RESET, to, subject, text, html)


def user_invitation_email(
    *, to: str, organisation: str, role: str, invited_by: str, accept_url: str, valid_days: int
) -> EmailContent:
    subject = f"You are invited to {organisation} on Insighta"
    text = (
        f"Hello,\n\n{invited_by} invites you to join {organisation} on Insighta as {role}. "
        f"Create your account at {accept_url} within {valid_days} days, with this email "
        "address. If you did not expect this, ignore this email.\n"
    )
    html = (
        f"<p>Hello,</p><p>{escape(invited_by)} invites you to join "
        f"<strong>{escape(organisation)}</strong> on Insighta as {escape(role)}. "
        f'<a href="{escape(accept_url, quote=True)}">Create your account</a> within '
        f"{valid_days} days, with this email address. If you did not expect this, ignore this "
        "email.</p>"
    )
    return EmailContent(EmailKind.USER_INVITE, to, subject, text, html)
