"""The registry of documents and their lifecycle (policies/registry.yaml).

    registry.yaml ──load──▶ Registry (documents, dates computed by the model's rules, repeals)
                  ──standing(day)──▶ one Standing per document: 现行有效 / 尚未施行 / 已失效 / 已废止 …
                  ──render──▶ `policyc status` (text, policyc-status/1 JSON) · generated/registry.{md,html}

* `model`: the documents, their 施行 and 有效期 rules and their repeals, as data.
* `load`: the YAML file → `Registry`: schema, references between documents, every quoted sentence
  found in its source text, every transcribed 办法 read from its policy file's meta.
* `standing`: what a document's status is on a date, and the sentence that says so.
* `render`: the status listing (text, JSON) and the registry page (Markdown, HTML).
* `command`: the `status` subcommand (COMMANDS, read by cli.py) and the build producer.
"""
