"""Words of the signed-in pages' frame (header, sign-in, error pages), in Chinese and English."""

from __future__ import annotations

from app.i18n import EN, ZH

TEXTS: dict[str, dict[str, str]] = {
    ZH: {
        "app": "服务通",
        "sla": "SLA 看板",
        "scorecard": "服务考核",
        "day_plans": "每日路线",
        "sign_out": "退出登录",
        "language": "语言",
        "platform_admin": "平台管理员",
        "sign_in": "登录",
        "email": "邮箱",
        "password": "密码",
        "sign_in_button": "登录",
        "key_instead": "改用 API 密钥登录",
        "your_key": "您的 API 密钥",
        "sign_in_key": "用密钥登录",
        "stays": "此浏览器最长保持登录 {days} 天，直到您退出登录或账号、密钥被停用。"
        "浏览器中不保存任何密钥。",
        "err_password": "邮箱和密码不匹配。",
        "err_key": "该密钥不存在或已停用。",
        "err_empty": "请输入邮箱和密码，或粘贴 API 密钥。",
        "err_csrf": "表单已过期，请刷新页面后重试。",
        "not_for_role": "{role}账号无法使用此页面。",
        "back": "返回",
        "title_400": "无法执行",
        "title_403": "无权访问",
        "title_404": "未找到",
        "title_409": "操作冲突",
        "message_400": "请求无法执行，请检查后重试。",
        "message_403": "您无权访问此内容。",
        "message_404": "没有找到您要的内容，或您无权查看。",
        "message_409": "内容刚刚被修改，请刷新页面后重试。",
    },
    EN: {
        "app": "Fuwutong",
        "sla": "SLA",
        "scorecard": "Scorecard",
        "day_plans": "Day plans",
        "sign_out": "Sign out",
        "language": "Language",
        "platform_admin": "Platform admin",
        "sign_in": "Sign in",
        "email": "E-mail",
        "password": "Password",
        "sign_in_button": "Sign in",
        "key_instead": "Sign in with an API key instead",
        "your_key": "Your API key",
        "sign_in_key": "Sign in with the key",
        "stays": "This browser stays signed in for up to {days} days, until you sign out or "
        "your account or key is withdrawn. Nothing secret is stored in the browser.",
        "err_password": "That e-mail and password do not match.",
        "err_key": "That key is unknown or revoked.",
        "err_empty": "Enter your e-mail and password, or paste an API key.",
        "err_csrf": "The form expired; reload the page and try again.",
        "not_for_role": "This page is not available to {role} credentials.",
        "back": "Back",
        "title_400": "Cannot do that",
        "title_403": "Not allowed",
        "title_404": "Not found",
        "title_409": "Conflict",
        "message_400": "",
        "message_403": "",
        "message_404": "",
        "message_409": "",
    },
}


def texts(lang: str) -> dict[str, str]:
    """The frame's words for a language (English when unknown)."""
    return TEXTS.get(lang, TEXTS[EN])
