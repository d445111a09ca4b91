"""A person's language and the words for codes, for every page and message.

Core layer: imports no domain. Two things live here:

- `person_language()`: which language (zh-CN or en) a request is answered in — an explicit
  choice (`?lang=`, then the `lang` cookie that choice sets), then the language stored for
  the person (a job's consumer locale), then the browser's Accept-Language, else zh-CN.
- `word(domain, code, lang)`: the words for a code (a job status, kind, category, skill,
  plan issue…), so no page or message shows `delivery_install` or `window_unreachable`.

Sentences of one page stay with that page's domain (`<domain>/texts.py`); the words for
codes that many pages share are catalogued once, here.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Flask, has_request_context, request
from flask.wrappers import Response

ZH, EN = "zh-CN", "en"
LANGS = (ZH, EN)
DEFAULT = ZH
COOKIE = "lang"
COOKIE_DAYS = 365

# domain -> code -> {language: words}
WORDS: dict[str, dict[str, dict[str, str]]] = {
    "category": {
        "door": {ZH: "门", EN: "door"},
        "furniture": {ZH: "家具", EN: "furniture"},
        "appliance": {ZH: "家电", EN: "appliance"},
        "other": {ZH: "其他商品", EN: "other goods"},
    },
    "kind": {
        "delivery": {ZH: "送货", EN: "delivery"},
        "install": {ZH: "安装", EN: "installation"},
        "delivery_install": {ZH: "送货安装", EN: "delivery and installation"},
        "repair": {ZH: "维修", EN: "repair"},
        "haul_away": {ZH: "旧件拆除带走", EN: "haul-away of the old item"},
        "inspection": {ZH: "上门检测", EN: "inspection"},
    },
    "order_status": {
        "waiting_for_goods": {ZH: "等待到货", EN: "waiting for the goods"},
        "open": {ZH: "进行中", EN: "open"},
        "completed": {ZH: "已完成", EN: "completed"},
        "cancelled": {ZH: "已取消", EN: "cancelled"},
        "partly_cancelled": {ZH: "部分取消", EN: "partly cancelled"},
    },
    "goods": {
        "unknown": {ZH: "到货时间未知", EN: "arrival not known yet"},
        "expected": {ZH: "预计到货", EN: "expected"},
        "received": {ZH: "已到货", EN: "at the dealer"},
    },
    "status": {
        "created": {ZH: "待分配", EN: "new"},
        "assigned": {ZH: "待预约", EN: "awaiting booking"},
        "scheduled": {ZH: "已预约", EN: "booked"},
        "dispatched": {ZH: "已派工", EN: "dispatched"},
        "en_route": {ZH: "在路上", EN: "on the way"},
        "on_site": {ZH: "已到达", EN: "on site"},
        "in_progress": {ZH: "施工中", EN: "in progress"},
        "completed": {ZH: "已完成", EN: "completed"},
        "failed": {ZH: "未完成", EN: "not completed"},
        "cancelled": {ZH: "已取消", EN: "cancelled"},
    },
    "skill": {
        "delivery": {ZH: "送货", EN: "delivery"},
        "door_install": {ZH: "门安装", EN: "door installation"},
        "furniture_assembly": {ZH: "家具组装", EN: "furniture assembly"},
        "appliance_install": {ZH: "家电安装", EN: "appliance installation"},
        "electrical": {ZH: "电工", EN: "electrical work"},
        "plumbing": {ZH: "水暖", EN: "plumbing"},
    },
    "failure_reason": {
        "customer_absent": {ZH: "客户不在家", EN: "customer not at home"},
        "wrong_or_damaged_item": {ZH: "商品错误或损坏", EN: "wrong or damaged item"},
        "site_not_ready": {ZH: "现场不具备安装条件", EN: "site not ready"},
        "needs_parts": {ZH: "需要补充配件", EN: "parts needed"},
        "other": {ZH: "其他原因", EN: "another reason"},
    },
    # Why a job is not in the day plan (the solver's reasons).
    "plan_issue": {
        "no_vehicle_with_skills": {
            ZH: "当天上班的师傅都不具备所需技能",
            EN: "no installer working this day has the skills it needs",
        },
        "locked_vehicle_unavailable": {
            ZH: "锁定的师傅当天不上班",
            EN: "the installer it is locked to is not working this day",
        },
        "over_capacity": {
            ZH: "超出具备技能的师傅的运载能力",
            EN: "more than any installer with the skills can carry",
        },
        "window_unreachable": {
            ZH: "没有师傅能在预约时间内到达并在下班前返回",
            EN: "no installer can reach it within its window and get home within the shift",
        },
        "lock_infeasible": {
            ZH: "锁定的顺序与前面的工单冲突，无法保持",
            EN: "its locked position cannot be kept with the stops before it",
        },
        "no_feasible_route": {
            ZH: "放入任何路线都会打破其他预约、班次、运力或锁定",
            EN: "fits no route without breaking another booking, a shift, a capacity or a lock",
        },
    },
    "plan_status": {
        "ready": {ZH: "已生成", EN: "ready"},
        "pending": {ZH: "排队中", EN: "waiting"},
        "running": {ZH: "计算中", EN: "planning"},
        "failed": {ZH: "失败", EN: "failed"},
        "none": {ZH: "尚无路线", EN: "no plan"},
    },
    # What stopped the route search.
    "stopped_by": {
        "iterations": {ZH: "完成全部迭代，结果可复现", EN: "all iterations, reproducible"},
        "time": {ZH: "达到时间上限", EN: "time limit"},
        "nothing to plan": {ZH: "无需规划", EN: "nothing to plan"},
    },
    # Why a day was (re-)planned: the first word of a plan request's reason.
    "plan_reason": {
        "demo": {ZH: "载入演示数据", EN: "demo data loaded"},
        "requested": {ZH: "调度员请求", EN: "asked for by a dispatcher"},
        "evening": {ZH: "每晚例行规划", EN: "evening planning"},
        "scheduled": {ZH: "新预约", EN: "new booking"},
        "rescheduled": {ZH: "改约", EN: "booking moved by the customer"},
        "booking_cancelled": {ZH: "预约取消", EN: "booking released"},
        "dependency_broken": {ZH: "前序上门改期", EN: "an earlier visit moved"},
        "cancelled": {ZH: "订单取消", EN: "job cancelled"},
        "failed": {ZH: "上门未完成", EN: "visit not completed"},
        "returned_to_dispatch": {ZH: "退回调度", EN: "returned to dispatch"},
        "booking_moved": {ZH: "调度改派", EN: "booking moved by a dispatcher"},
        "lock": {ZH: "锁定工单", EN: "job locked"},
        "unlock": {ZH: "解除锁定", EN: "job unlocked"},
        "block": {ZH: "新增停工时段", EN: "time blocked"},
        "block_removed": {ZH: "取消停工时段", EN: "block removed"},
        "shifts": {ZH: "班次变更", EN: "shifts changed"},
        "time_off": {ZH: "请假", EN: "time off"},
        "time_off_removed": {ZH: "取消请假", EN: "time off removed"},
        "active": {ZH: "在岗状态变更", EN: "active changed"},
        "skills": {ZH: "技能变更", EN: "skills changed"},
        "home_lat": {ZH: "住址变更", EN: "home moved"},
        "home_lon": {ZH: "住址变更", EN: "home moved"},
        "max_jobs_per_day": {ZH: "每日工单上限变更", EN: "daily job limit changed"},
        "timezone": {ZH: "时区变更", EN: "time zone changed"},
    },
    "subject": {  # the rest of a reason: "job 12", "installer 3", "dealer 1"
        "job": {ZH: "工单", EN: "job"},
        "installer": {ZH: "师傅", EN: "installer"},
        "dealer": {ZH: "服务商", EN: "dealer"},
    },
    "role": {
        "admin": {ZH: "平台管理员", EN: "platform admin"},
        "brand": {ZH: "品牌方", EN: "brand"},
        "dealer": {ZH: "服务商", EN: "dealer"},
        "installer": {ZH: "安装师傅", EN: "installer"},
    },
}
WEEKDAYS = {
    EN: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    ZH: ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
}
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def normalize(value: str | None) -> str | None:
    """Map "zh", "zh-cn", "zh_Hans_CN", "en-GB"… to a language we speak, or None."""
    if not value:
        return None
    low = value.strip().lower().replace("_", "-")
    if low.startswith("zh"):
        return ZH
    if low.startswith("en"):
        return EN
    return None


def chosen_language() -> str | None:
    """The language picked explicitly in this browser: `?lang=`, then the cookie."""
    if not has_request_context():
        return None
    return normalize(request.args.get("lang")) or normalize(request.cookies.get(COOKIE))


def person_language(stored: str | None = None) -> str:
    """The language to answer this request in: explicit choice, the person's stored locale,
    Accept-Language, else zh-CN."""
    found = chosen_language() or normalize(stored)
    if found is None and has_request_context():
        found = normalize(request.accept_languages.best_match(["zh-CN", "zh", "en"]))
    return found or DEFAULT


def word(domain: str, code: str | None, lang: str) -> str:
    """The words for a code; an unknown code reads as words too ("door_instal" → "door instal")."""
    if not code:
        return ""
    entry = WORDS.get(domain, {}).get(str(code))
    if entry is None:
        return str(code).replace("_", " ")
    return entry.get(lang) or entry[EN]


def words(domain: str, codes: list[Any] | None, lang: str) -> str:
    """Several codes as one phrase: "送货、门安装" / "delivery, door installation"."""
    joiner = "、" if lang == ZH else ", "
    return joiner.join(word(domain, str(code), lang) for code in codes or [])


def plan_reason(reason: str, lang: str) -> str:
    """A plan request's reason ("scheduled job 12") in words ("新预约 · 工单 12")."""
    parts = reason.split()
    if not parts:
        return ""
    what = dict.fromkeys(word("plan_reason", code, lang) for code in parts[0].split("+"))
    said = [("、" if lang == ZH else ", ").join(what)]
    rest = parts[1:]
    if len(rest) == 2 and rest[0] in WORDS["subject"]:
        said.append(f"{word('subject', rest[0], lang)} {rest[1]}")
    elif rest:
        said.append(" ".join(rest))
    return " · ".join(said)


def day_label(day: date, lang: str, *, year: bool = False) -> str:
    """A date the way the language writes it: "12月7日 周一" / "Mon 7 Dec"."""
    weekday = WEEKDAYS[lang if lang in WEEKDAYS else EN][day.weekday()]
    if lang == ZH:
        return f"{f'{day.year}年' if year else ''}{day.month}月{day.day}日 {weekday}"
    return f"{weekday} {day.day} {MONTHS_EN[day.month - 1]}{f' {day.year}' if year else ''}"


def switch_url(lang: str) -> str:
    """This page's address with `?lang=` set (the other query parameters kept)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', lang)])}"


def init_app(app: Flask) -> None:
    """Remember an explicit `?lang=` in a cookie, and give templates `word`, `day_label`…"""

    @app.after_request
    def _remember_choice(response: Response) -> Response:
        picked = normalize(request.args.get("lang"))
        if picked and picked != normalize(request.cookies.get(COOKIE)):
            response.set_cookie(
                COOKIE, picked, max_age=COOKIE_DAYS * 86400, samesite="Lax", httponly=True
            )
        return response

    app.jinja_env.globals.update(
        word=word,
        words=words,
        day_label=day_label,
        plan_reason=plan_reason,
        switch_url=switch_url,
        LANGS=LANGS,
        LANG_NAMES={ZH: "中文", EN: "English"},
    )
