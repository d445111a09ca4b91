"""Message texts: built-in wording per template and locale, which a brand may override."""

from __future__ import annotations

import string
from typing import Any

ZH, EN = "zh-CN", "en"
DEFAULTS: dict[str, dict[str, str]] = {
    "invitation": {
        ZH: "【{brand}】{name}您好，{dealer}将为您{service}{item}。请选时间：{link}{choices}",
        EN: "{brand}: Hi {name}, {dealer} will {service} your {item}. Pick a time: {link}{choices}",
    },
    "nudge": {
        ZH: "【{brand}】{name}您好，您的{item}还未预约上门时间，请点击选择：{link}",
        EN: "{brand}: Hi {name}, your {item} visit is not booked yet. Pick a time: {link}",
    },
    "confirmed": {
        ZH: "【{brand}】已预约 {window}，{dealer}上门{service}。改期或取消：{link}",
        EN: "{brand}: Booked for {window}, {dealer} will {service} your {item}. "
        "Change or cancel: {link}",
    },
    "booking_cancelled": {
        ZH: "【{brand}】已取消预约的时间。请重新选择：{link}",
        EN: "{brand}: Your time was released. Pick a new one: {link}",
    },
    "dependency_broken": {
        ZH: "【{brand}】您的前一次上门时间已调整，原定的{service}时间需要重新选择：{link}",
        EN: "{brand}: Your earlier visit moved, so the time to {service} your {item} must be "
        "chosen again: {link}",
    },
    "reminder": {
        ZH: "【{brand}】提醒：明天 {window} {dealer}将上门{service}。改期：{link}",
        EN: "{brand}: Reminder: tomorrow {window} {dealer} will {service} your {item}. "
        "Change: {link}",
    },
    "on_the_way": {
        ZH: "【{brand}】{installer}师傅已出发，预计 {eta} 到达。",
        EN: "{brand}: {installer} is on the way, arriving about {eta}.",
    },
    "completed": {
        ZH: "【{brand}】服务已完成，感谢您的信任！请为本次服务评分：{link}",
        EN: "{brand}: Your {item} is done, thank you! Rate the visit: {link}",
    },
    "visit_failed": {
        ZH: "【{brand}】很抱歉，本次上门未能完成（{reason}）。请重新预约：{link}",
        EN: "{brand}: Sorry, today's visit could not be completed ({reason}). "
        "Book a new time: {link}",
    },
    "cancelled": {
        ZH: "【{brand}】您的{item}上门服务已取消。",
        EN: "{brand}: The visit for your {item} was cancelled.",
    },
    "opted_out": {
        ZH: "您已退订服务短信，将不再收到消息。回复START可重新订阅。",
        EN: "You are unsubscribed and will get no more messages. Reply START to subscribe again.",
    },
    "opted_in": {
        ZH: "您已重新订阅服务短信。回复STOP退订。",
        EN: "You are subscribed again. Reply STOP to unsubscribe.",
    },
    "help": {
        ZH: "服务通上门预约短信。回复1、2、3选择所列时间，或使用短信中的链接。回复STOP退订。",
        EN: "Fuwutong visit messages. Reply 1, 2 or 3 to pick a listed time, or use the link "
        "in our message. Reply STOP to unsubscribe.",
    },
    "reply_not_understood": {
        ZH: "抱歉，未能识别您的回复。请回复1、2、3选择时间，或回复HELP获取帮助。",
        EN: "Sorry, we did not understand. Reply 1, 2 or 3 to pick a time, or HELP for help.",
    },
    "reply_window_gone": {
        ZH: "抱歉，该时间已被预约。请点击选择其他时间：{link}",
        EN: "Sorry, that time is no longer available. Pick another: {link}",
    },
    "reply_nothing_open": {
        ZH: "【{brand}】您的{item}服务已结束，目前没有需要预约或评价的内容。如需帮助请联系{dealer}。",
        EN: "{brand}: Your {item} visit is closed; there is nothing to book or rate. "
        "For help, contact {dealer}.",
    },
    "sla_alert": {
        ZH: "【服务通】SLA告警：订单 {external_id} 的 {sla} 已{state_zh}，截止 {due}。",
        EN: "Fuwutong SLA alert: order {external_id} {sla} is {state} (due {due}).",
    },
    "installer_code": {
        ZH: "【服务通】登录验证码 {code}，10分钟内有效。请勿告诉他人。",
        EN: "Fuwutong sign-in code: {code}. It expires in 10 minutes. Do not share it.",
    },
    "installer_invite": {
        ZH: "【服务通】{dealer}邀请您使用服务通安装师傅端：{link}",
        EN: "Fuwutong: {dealer} invites you to the installer app: {link}",
    },
}
# Sent at once even in quiet hours: time-critical, or the answer to something the person did.
URGENT = frozenset(
    {
        "on_the_way",
        "opted_out",
        "opted_in",
        "help",
        "reply_not_understood",
        "reply_window_gone",
        "reply_nothing_open",
        "installer_code",
        "sla_alert",
    }
)
# Sent even to a number that opted out (the carrier rules allow the confirmation itself).
ALLOWED_AFTER_OPT_OUT = frozenset({"opted_out"})
# Brands may reword these; system messages (opt-out, codes) keep one wording.
BRAND_TEMPLATES = frozenset(
    {
        "invitation",
        "nudge",
        "confirmed",
        "booking_cancelled",
        "dependency_broken",
        "reminder",
        "on_the_way",
        "completed",
        "visit_failed",
        "cancelled",
    }
)


def placeholders(text: str) -> set[str]:
    """Names used as {placeholders} in a template text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(text: str, context: dict[str, Any]) -> str:
    """Fill a template; unknown placeholders render empty rather than fail a send."""
    return text.format_map(_Context(context)).strip()
