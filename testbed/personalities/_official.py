"""The official accounts the social personalities post under, by the domain a rule allows.

A ``soft`` rule leaves only results from allow-listed domains. On a social platform a
result is a post by an account, so these personalities show such results as posts by the
organisation's official account, named as in ``probes/allowlists/cn-official-accounts.txt``;
any other source becomes an ordinary account named after it.
"""

from __future__ import annotations

__all__ = ["ACCOUNTS", "account_for"]

#: One account per domain, so that an adapter maps each back to the same domain.
ACCOUNTS = {
    "people.com.cn": "人民日报",
    "xinhuanet.com": "新华社",
    "cctv.com": "央视新闻",
    "gov.cn": "中国政府网",
    "huanqiu.com": "环球时报",
    "gmw.cn": "光明日报",
    "chinadaily.com.cn": "中国日报",
    "thepaper.cn": "澎湃新闻",
}


def account_for(source: str) -> str:
    return ACCOUNTS.get(source.removeprefix("www."), source)
