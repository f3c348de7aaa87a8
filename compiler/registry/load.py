"""policies/registry.yaml → `Registry`, with every problem reported at its place in the file.

Beyond the schema (registry.schema.json) the loader proves what it can from the texts we hold:
every quoted sentence, title, 文号, issuer and date of an entry occurs in its source text
(whitespace aside: the PDF conversions cut lines anywhere), a date the text states is the date
written in the quoted sentence, and every transcribed 办法 is read from its policy file rather
than retyped. Dates follow the model's rules (`effective_after`, `valid_until`), the ones the
policy checker and the evaluators use.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from compiler.lang.numbering import zh_number
from compiler.model.load import load_policy
from compiler.model.policy import Policy, effective_after, valid_until
from compiler.registry.model import Document, Effect, HistoryEvent, Quote, Registry, Repeal, Term
from compiler.runtime.core import CalendarError, zh_date
from compiler.source.diagnostics import Collector, PolicyError, Span, did_you_mean
from compiler.source.files import display_path, find_policy_files
from compiler.source.schema import load_document
from compiler.source.yamlsrc import YMap, locate

REGISTRY = "registry.yaml"  # in policies/
_SPACE = re.compile(r"\s+")
ELISION = "……"
_POLICY_KEYS = ("title", "doc_number", "issuer", "issued", "draft", "source", "effective", "validity", "history")


def compact(text: str) -> str:
    """Text without whitespace: how quotes are matched against a source (line breaks, page
    breaks and the spaces of a PDF conversion are not part of the words)."""
    return _SPACE.sub("", text)


def occurs(words: str, text: str) -> bool:
    """Whether a quote occurs in a compacted source text; "……" in the quote stands for words left
    out, so its parts must occur in order."""
    at = 0
    for part in compact(words).split(ELISION):
        found = text.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return True


def _states(words: str, form: str) -> bool:
    """Whether `form` occurs in `words` not as part of a longer number."""
    digits = "0123456789" if form[-1:].isdigit() else "零〇一二三四五六七八九十百千"
    edge = f"[{digits}]"
    return re.search(f"(?<!{edge}){re.escape(form)}(?!{edge})", words) is not None


def registry_path(root: Path) -> Path:
    return root / "policies" / REGISTRY


class _Loader:
    def __init__(self, tree: YMap, policies_dir: Path, policies: Mapping[Path, Policy] | None) -> None:
        self.tree = tree
        self.dir = policies_dir
        self.given = {p.resolve(): v for p, v in (policies or {}).items()}
        self.diag = Collector()
        self.texts: dict[str, str] = {}  # source id → compacted text
        self.titles: dict[str, str | None] = {}
        self.files: dict[str, str] = {}
        self.source_of: dict[str, str] = {}  # document id → source id (documents not read from a policy)

    # -- helpers -------------------------------------------------------------------------------

    def at(self, *path: Any, key: bool = False) -> Span | None:
        return locate(self.tree, list(path), key=key)

    def date(self, value: Any, path: tuple[Any, ...]) -> dt.date | None:
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.diag.error("E901", f"日期「{value}」不存在", self.at(*path), hint="写作 YYYY-MM-DD，且是日历上的日期")
            return None

    def found(self, source: str, words: str, what: str, path: tuple[Any, ...]) -> None:
        """Report `words` that do not occur in the source text (with whitespace ignored)."""
        text = self.texts.get(source)
        if text is not None and not occurs(words, text):
            self.diag.error("E906", f"{what}「{words}」在来源文本中找不到", self.at(*path),
                            hint=f"照录来源文本 {self.files[source]} 的原文（空白和换行可以不同，文字须一致；"
                                 "略去的部分写作……）")

    # -- sources ---------------------------------------------------------------------------------

    def load_sources(self) -> None:
        for sid, src in self.tree["sources"].items():
            path = self.dir / str(src["file"])
            self.files[sid] = str(src["file"])
            self.titles[sid] = str(src["title"]) if "title" in src else None
            try:
                self.texts[sid] = compact(path.read_text(encoding="utf-8-sig"))
            except (OSError, UnicodeDecodeError):
                self.diag.error("E902", f"来源文本「{src['file']}」不存在或不是 UTF-8 文本", self.at("sources", sid, "file"),
                                hint="文件路径相对于 policies/；先把原文照录到 policies/registry-sources/")

    # -- documents -------------------------------------------------------------------------------

    def load_documents(self) -> list[Document]:
        docs: list[Document] = []
        seen: dict[str, int] = {}
        numbers: dict[str, str] = {}
        for i, entry in enumerate(self.tree["documents"]):
            doc_id = str(entry["id"])
            if doc_id in seen:
                self.diag.error("E903", f"编号「{doc_id}」重复（第 {seen[doc_id] + 1} 个条目已用）", self.at("documents", i, "id"))
                continue
            seen[doc_id] = i
            doc = self.from_policy(i, entry) if "policy" in entry else self.from_text(i, entry)
            if doc is None:
                continue
            if doc.doc_number is not None:
                if doc.doc_number in numbers:
                    self.diag.error("E903", f"文号「{doc.doc_number}」已登记为「{numbers[doc.doc_number]}」",
                                    self.at("documents", i), hint="同一件文件只登记一次")
                numbers.setdefault(doc.doc_number, doc_id)
            docs.append(doc)
        return docs

    def from_policy(self, i: int, entry: YMap) -> Document | None:
        for key in _POLICY_KEYS:
            if key in entry:
                self.diag.error("E904", f"引用政策文件的条目不写「{key}」：标题、文号、日期、施行和有效期都从政策文件读取",
                                self.at("documents", i, key, key=True), hint=f"删去「{key}」，或在政策文件的 meta 中修改")
        rel = str(entry["policy"])
        path = self.dir / rel
        if not path.is_file():
            self.diag.error("E902", f"政策文件「{rel}」不存在", self.at("documents", i, "policy"),
                            hint="路径相对于 policies/，如 hami-quality-fund/final.yaml")
            return None
        policy = self.given.get(path.resolve())
        if policy is None:
            try:
                policy = self.given[path.resolve()] = load_policy(path)
            except PolicyError as exc:  # the policy file's own errors, reported with the registry's
                self.diag.items.extend(exc.diagnostics)
                return None
        m = policy.meta
        source_file = (Path(rel).parent / m.source_file).as_posix()
        if m.status == "draft":
            return Document(str(entry["id"]), m.title, m.doc_number, m.issuer, None, None, None, entry.span,
                            source_file, draft=_draft_note(m.consultation), policy_file=rel,
                            policy_id=policy.policy_id)
        effect = term = None
        clause = policy.clauses.get(m.effective_clause or "")
        cite = clause.cite if clause is not None else None
        try:
            if m.effective_text and m.after_publication_days is not None and m.published is not None:
                effect = Effect(Quote(cite, m.effective_text), "after-days",
                                effective_after(m.published, m.after_publication_days), m.after_publication_days)
            elif m.effective_text and m.effective_date is not None:
                effect = Effect(Quote(cite, m.effective_text), "date", m.effective_date)
            if m.validity_text and effect is not None and m.validity_years is not None:
                term = Term(Quote(_clause_saying(policy, m.validity_text) or cite, m.validity_text),
                            valid_until(effect.date, m.validity_years), m.validity_years)
            elif m.validity_text and m.valid_until is not None:
                term = Term(Quote(_clause_saying(policy, m.validity_text) or cite, m.validity_text), m.valid_until)
        except CalendarError as exc:  # the policy checker has reported it already; keep the entry
            self.diag.error("E901", f"政策文件「{rel}」的施行或有效期无法计算：{exc}", self.at("documents", i, "policy"))
        return Document(str(entry["id"]), m.title, m.doc_number, m.issuer, m.published, effect, term, entry.span,
                        source_file, policy_file=rel, policy_id=policy.policy_id)

    def from_text(self, i: int, entry: YMap) -> Document | None:
        here = ("documents", i)
        sid = str(entry["source"])
        if sid not in self.tree["sources"]:
            guess = did_you_mean(sid, self.tree["sources"])
            self.diag.error("E905", f"来源「{sid}」不在 sources 中", self.at(*here, "source"),
                            hint=f"你是不是想写「{guess}」？" if guess else "先在 sources 中登记来源文本")
            return None
        self.source_of[str(entry["id"])] = sid
        title = str(entry["title"])
        self.found(sid, title, "标题", (*here, "title"))
        doc_number = str(entry["doc_number"]) if "doc_number" in entry else None
        if doc_number is not None:
            self.found(sid, doc_number, "文号", (*here, "doc_number"))
        issuer = str(entry["issuer"]) if "issuer" in entry else None
        if issuer is not None:
            self.found(sid, issuer, "发文机关", (*here, "issuer"))
        issued = self.date(entry["issued"], (*here, "issued")) if "issued" in entry else None
        if issued is not None:
            self.found(sid, zh_date(issued), "发布日期", (*here, "issued"))
        history = []
        for j, a in enumerate(entry.get("history") or []):
            when = self.date(a["date"], (*here, "history", j, "date"))
            self.found(sid, str(a["by"]), "修订依据", (*here, "history", j, "by"))
            if when is not None:
                self.found(sid, zh_date(when), "修订日期", (*here, "history", j, "date"))
                history.append(HistoryEvent(when, str(a["kind"]), str(a["by"])))
        effect = self.effect(sid, entry, issued, here) if "effective" in entry else None
        term = self.term(sid, entry, effect, here) if "validity" in entry else None
        return Document(str(entry["id"]), title, doc_number, issuer, issued, effect, term, entry.span,
                        self.files[sid], self.titles[sid], str(entry["draft"]) if "draft" in entry else None,
                        history=tuple(history))

    def _one_of(self, node: YMap, keys: tuple[str, ...], path: tuple[Any, ...], what: str) -> str | None:
        given = [k for k in keys if k in node]
        if len(given) != 1:
            choice = "三者之一" if len(keys) == 3 else "二者之一"
            self.diag.error("E907", f"{what}应写 {'、'.join(keys)} {choice}", self.at(*path),
                            hint=f"写了 {'和'.join(given)}，按原文只留一个" if given else "按原文写明日期如何计算")
            return None
        return given[0]

    def effect(self, sid: str, entry: YMap, issued: dt.date | None, here: tuple[Any, ...]) -> Effect | None:
        node, path = entry["effective"], (*here, "effective")
        quote = Quote(str(node["clause"]) if "clause" in node else None, str(node["text"]))
        self.found(sid, quote.text, "施行条款", (*path, "text"))
        rule = self._one_of(node, ("after_issue_days", "on_issue", "date"), path, "施行（effective）")
        if rule == "date":
            day = self.date(node["date"], (*path, "date"))
            if day is not None:
                self.says(quote.text, zh_date(day), "施行日期", (*path, "date"))
                return Effect(quote, "date", day)
            return None
        if rule is None:
            return None
        if issued is None:
            self.diag.error("E908", "施行日期从发布日期算起，但条目没有 issued", self.at(*path),
                            hint="写上原文的发布（印发、公布）日期 issued")
            return None
        if rule == "on_issue":
            return Effect(quote, "on-issue", issued)
        days = int(node["after_issue_days"])
        self.says(quote.text, str(days), "天数", (*path, "after_issue_days"), zh_number(days))
        try:
            return Effect(quote, "after-days", effective_after(issued, days), days)
        except CalendarError as exc:
            self.diag.error("E901", f"施行日期无法计算：{exc}", self.at(*path, "after_issue_days"))
            return None

    def term(self, sid: str, entry: YMap, effect: Effect | None, here: tuple[Any, ...]) -> Term | None:
        node, path = entry["validity"], (*here, "validity")
        quote = Quote(str(node["clause"]) if "clause" in node else None, str(node["text"]))
        self.found(sid, quote.text, "有效期条款", (*path, "text"))
        rule = self._one_of(node, ("years", "until"), path, "有效期（validity）")
        if rule == "until":
            day = self.date(node["until"], (*path, "until"))
            if day is not None:
                self.says(quote.text, zh_date(day), "有效期截止日", (*path, "until"))
                if effect is not None and day < effect.date:
                    self.diag.error("E912", "有效期截止日早于施行日期", self.at(*path, "until"))
                return Term(quote, day)
            return None
        if rule is None:
            return None
        years = int(node["years"])
        self.says(quote.text, str(years), "年数", (*path, "years"), zh_number(years))
        if effect is None:
            self.diag.error("E908", "有效期自施行之日起算，但条目没有施行日期（effective）", self.at(*path),
                            hint="写上原文的施行条款 effective")
            return None
        try:
            return Term(quote, valid_until(effect.date, years), years)
        except CalendarError as exc:
            self.diag.error("E901", f"有效期截止日无法计算：{exc}", self.at(*path, "years"))
            return None

    def says(self, text: str, value: str, what: str, path: tuple[Any, ...], *also: str) -> None:
        """The quoted sentence must state the value the entry computes with, in any of its forms
        (2026年1月31日; 30 or 三十), as a whole number: 3 is not found in 30日."""
        words = compact(text)
        if not any(_states(words, compact(form)) for form in (value, *also)):
            self.diag.error("E909", f"{what}与原文不符：原文「{text}」中没有「{value}」", self.at(*path),
                            hint="日期和天数照原文写；原文说的是哪一天，就写哪一天")

    # -- repeals ---------------------------------------------------------------------------------

    def link_repeals(self, docs: list[Document]) -> None:
        by_id = {d.id: d for d in docs}
        entries = {str(e["id"]): (i, e) for i, e in enumerate(self.tree["documents"])}
        for doc in docs:
            i, entry = entries[doc.id]
            for j, r in enumerate(entry.get("repeals") or []):
                here = ("documents", i, "repeals", j)
                target_id = str(r["document"])
                target = by_id.get(target_id)
                if target is None:
                    guess = did_you_mean(target_id, by_id)
                    self.diag.error("E905", f"被废止的文件「{target_id}」没有登记", self.at(*here, "document"),
                                    hint=f"你是不是想写「{guess}」？" if guess else "先在 documents 中登记被废止的文件")
                    continue
                quote = Quote(str(r["clause"]) if "clause" in r else None, str(r["text"]))
                source = self.source_of.get(doc.id)
                if source is not None:
                    self.found(source, quote.text, "废止的句子", (*here, "text"))
                elif doc.policy_file is not None:
                    self.found_in_policy_source(doc, quote.text, (*here, "text"))
                problem = _repeal_problem(doc, target)
                if problem:
                    self.diag.error("E910", problem, self.at(*here, "document"))
                    continue
                date = doc.effect.date if doc.effect is not None else doc.issued
                if date is None:
                    self.diag.error("E911", f"无法确定废止日期：{doc.name}既没有施行日期也没有发布日期",
                                    self.at("documents", i), hint="写上它的 issued 或 effective")
                    continue
                if target.effect is not None and date < target.effect.date:
                    self.diag.error("E912", f"废止日期{zh_date(date)}早于被废止文件的施行日期{zh_date(target.effect.date)}",
                                    self.at(*here, "document"), hint="核对两件文件的日期")
                    continue
                rep = Repeal(doc.id, target.id, quote, date, doc.effect is None, self.at(*here))
                doc.repeals.append(rep)
                target.repealed_by = rep

    def found_in_policy_source(self, doc: Document, words: str, path: tuple[Any, ...]) -> None:
        try:
            text = compact((self.dir / doc.source_file).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError):
            return  # the policy's own checks report its source
        if not occurs(words, text):
            self.diag.error("E906", f"废止的句子「{words}」在来源文本中找不到", self.at(*path),
                            hint=f"照录政策文件的来源文本 {doc.source_file} 的原文")

    # -- every policy file is registered ------------------------------------------------------------

    def check_complete(self, docs: list[Document]) -> None:
        registered = {str(e["policy"]) for e in self.tree["documents"] if "policy" in e}  # loaded or not
        by_number = {d.doc_number: d for d in docs if d.doc_number and not d.policy_file}
        for path in find_policy_files(self.dir):
            rel = path.relative_to(self.dir).as_posix()
            if rel in registered:
                continue
            number = _doc_number_of(path)
            twin = by_number.get(number) if number else None
            hint = (f"条目「{twin.id}」（{twin.doc_number}）就是这件文件：把它改为 policy: {rel}，删去 title 等由政策文件提供的键"
                    if twin else f"在 documents 中加一条：- {{id: …, policy: {rel}}}")
            self.diag.error("E913", f"政策文件 {rel} 没有在登记簿中登记", self.at("documents", key=True), hint=hint)
        for doc in docs:
            policy = self.given.get((self.dir / doc.policy_file).resolve()) if doc.policy_file else None
            for number, _title in policy.meta.repeals if policy else ():
                if not any(r.target and _number(docs, r.target) == number for r in doc.repeals):
                    self.diag.error("E914", f"政策文件 {doc.policy_file} 废止 {number}，登记簿没有记下这次废止",
                                    self.at("documents", key=True), hint=f"在条目「{doc.id}」下写 repeals，照录废止的句子")


def _number(docs: list[Document], doc_id: str) -> str | None:
    return next((d.doc_number for d in docs if d.id == doc_id), None)


def _doc_number_of(path: Path) -> str | None:
    """The 文号 in a policy file's meta, read cheaply (the file may be any policy in the tree)."""
    try:
        match = re.search(r"^\s+doc_number:\s*(\S+)", path.read_text(encoding="utf-8-sig"), re.M)
    except (OSError, UnicodeDecodeError):
        return None
    return match.group(1).strip("'\"") if match else None


def _repeal_problem(by: Document, target: Document) -> str | None:
    if by.id == target.id:
        return "文件不能废止它自己"
    if by.draft is not None:
        return f"{by.name}是草案，不能废止其他文件"
    if target.draft is not None:
        return f"{target.name}是草案，无须废止"
    if target.repealed_by is not None:
        return f"{target.name}已被另一件文件废止（条目「{target.repealed_by.by}」）"
    return None


def _clause_saying(policy: Policy, words: str) -> str | None:
    """The citation of the first clause of a policy whose text contains `words`."""
    target = compact(words)
    return next((c.cite for c in policy.clauses.values() if target in compact(c.text)), None)


def _draft_note(consultation: Mapping[str, Any]) -> str:
    try:
        start, end = (dt.date.fromisoformat(str(consultation[k])) for k in ("from", "to"))
    except (KeyError, ValueError):
        return "征求意见稿"
    by = f"{consultation['by']}" if "by" in consultation else ""
    return f"征求意见稿：{by}{zh_date(start)}至{zh_date(end)}公开征求意见"


def load_registry(root: Path, policies: Mapping[Path, Policy] | None = None) -> Registry | None:
    """The project's registry, or None when it has none (policies/registry.yaml). `policies` are
    policy files already loaded (by path), so that a build does not load them twice; any other
    policy file the registry names is loaded here. Raises PolicyError with every problem found."""
    path = registry_path(root)
    if not path.is_file():
        return None
    tree = load_document(path, "registry", display_path(path))
    loader = _Loader(tree, path.parent, policies)
    loader.load_sources()
    docs = loader.load_documents()
    loader.link_repeals(docs)
    loader.check_complete(docs)
    status_date = loader.date(tree["status_date"], ("status_date",))
    loader.diag.raise_if_any()
    assert status_date is not None
    return Registry(display_path(path), status_date, docs)


