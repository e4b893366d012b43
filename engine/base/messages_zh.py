# ruff: noqa: E501  (a catalogue of sentences: one line per entry reads best)
"""The Chinese catalogue: every text the commands print, keyed by its English form.

``MESSAGES`` holds fixed texts (headers, help texts, labels, summaries with ``{fields}``);
``PATTERNS`` holds messages built at run time, as regular expressions over the English
message with named groups, and the Chinese template they fill (a group whose name ends in
``_msg`` is itself translated). ``LABELS`` names the contract outputs and common
parameters in Chinese, for ``--labels zh``. ``engine/base/i18n.py`` reads this module; nothing
else does. Policy text (labels, notes, reasons to supply a value) is printed as the
policy files write it.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "The package version and the bundled policy tree's digest.":
        '显示程序版本和自带政策目录的摘要。',
    'The policy folder (default: $DIBAO_POLICIES, else the nearest policies/ here or above, else the tree bundled with dibao).':
        '政策目录（默认取 $DIBAO_POLICIES，否则取当前目录或上级目录中最近的 policies/，否则取 dibao 自带的政策目录）。',
    'Local parameter values: YAML, dated and sourced like policy files (repeatable; --set wins).':
        '本地参数取值：YAML 文件，像政策文件一样注明日期和来源（可重复；--set 优先）。',
    'Load and check every region (and --params files): all diagnostics, located; exit 0 when clean, 2 otherwise.':
        '加载并检查所有地区（及 --params 文件）：列出全部问题并注明位置；没有问题时退出码为 0，否则为 2。',
    'Print the JSON Schema of policy files, or of local parameter files (for YAML editors).':
        '输出政策文件或本地参数文件的 JSON Schema（供 YAML 编辑器使用）。',
    'policy: policy files; params: local parameter files (--params FILE).':
        'policy：政策文件；params：本地参数文件（--params FILE）。',
    'Evaluate a caseload (JSON Lines, a folder of Parquet/CSV/Arrow tables, or a workbook) and write one row per household (.jsonl, .csv, .parquet or .xlsx); exit status 1 when no household is answered.':
        '批量测算（JSON Lines、Parquet/CSV/Arrow 表格目录或 Excel 工作簿），每户写出一行（.jsonl、.csv、.parquet 或 .xlsx）；没有一户得到结果时退出状态为 1。',
    'Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs) until stopped.':
        '启动 HTTP 服务（OpenAPI 描述在 /openapi.json，文档在 /docs），直到停止。',
    'Address to listen on.':
        '监听地址。',
    'Port to listen on.':
        '监听端口。',
    'The decision log: a SQLite file (decisions.db) or postgresql://user@host/db.':
        '决定日志：SQLite 文件（decisions.db）或 postgresql://user@host/db。',
    'A file holding the bearer token for reading the log (default: $DIBAO_TOKEN).':
        '存放读取日志所需令牌（bearer token）的文件（默认取 $DIBAO_TOKEN）。',
    'Worker processes (each loads the policies and opens the log).':
        '工作进程数（每个进程各自加载政策并打开日志）。',
    'One line per request: method, path (no query), status, time. Never a household record.':
        '每个请求记一行：方法、路径（不含查询参数）、状态码、耗时。绝不记录家庭数据。',
    'The decision log kept by dibao serve --log.':
        'dibao serve --log 记录的决定日志。',
    'Write the logged decisions to a file.':
        '把日志中的决定写入文件。',
    'The decision log (file or URL).':
        '决定日志（文件或 URL）。',
    'Only decisions recorded on or after this day (UTC).':
        '只取这一天（UTC）及之后记录的决定。',
    'Output: .jsonl or .parquet (written whole or not at all).':
        '输出文件：.jsonl 或 .parquet（要么完整写出，要么不写）。',
    'Re-evaluate logged decisions under another policy tree; exit 1 when any determination would change.':
        '用另一个政策目录重新测算日志中的决定；有任何结果改变时退出码为 1。',
    'Replay under the policies at this git revision.':
        '用这个 git 版本的政策重新测算。',
    # click's own words
    "Usage: ": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "[default: ": "[默认：",
    "[required]": "[必填]",
    "error": "错误",
    "warning": "警告",
    "did you mean": "是否想输入",
    "see": "参见",
    # help texts
    "dibao: social-assistance rules as data (低保, taper, monitoring).":
        "dibao：以数据形式表达的社会救助规则（低保、渐退、监测）。",
    "Language of messages, help and table headers: en or zh (default: from the locale, e.g. LANG=zh_CN.UTF-8).":
        "消息、帮助和表头的语言：en 或 zh（默认按系统区域设置，例如 LANG=zh_CN.UTF-8）。",
    "Evaluate one household (JSON or YAML; - for standard input) and print the contract JSON.":
        "测算一户家庭（JSON 或 YAML 文件；- 表示标准输入），输出约定格式的 JSON。",
    "Region id, e.g. hebi or inner_mongolia/hinggan.": "地区编号，例如 hebi 或 inner_mongolia/hinggan。",
    "Evaluation date, YYYY-MM-DD.": "测算日期，格式 YYYY-MM-DD。",
    "Override a parameter for this run (repeatable).": "本次运行临时设定一个参数值（可重复）。",
    "Only this output (repeatable).": "只输出这一项（可重复）。",
    "How to print: table (plain aligned text when piped), json, csv or markdown.":
        "输出格式：table（表格；通过管道输出时为对齐的纯文本）、json、csv 或 markdown。",
    "Diagnostics as JSON (the same as --format json).": "以 JSON 输出问题（与 --format json 相同）。",
    "Print the JSON Schema of policy files (for YAML editors).": "输出政策文件的 JSON Schema（供 YAML 编辑器使用）。",
    "The regions, their versions, digests, outputs and the parameters each leaves to be supplied.":
        "各地区及其版本、摘要、输出项和须补充的参数。",
    "As JSON (the same as --format json).": "以 JSON 输出（与 --format json 相同）。",
    "Why a household got its answer: each output's rule, values, parameters and clauses, and each income.":
        "说明一户家庭的测算结果：每个输出项的规则、取值、参数和条款，以及每项收入是否计入。",
    "Explain only this output (repeatable).": "只说明这一输出项（可重复）。",
    "A tree for the terminal, JSON, or a Markdown or HTML document for a case file.":
        "终端中的树状图、JSON，或用于归档的 Markdown、HTML 文档。",
    "The tree as JSON (the same as --format json).": "以 JSON 输出说明树（与 --format json 相同）。",
    "Show each clause's words (recorded in the policy, or found in sources/).":
        "显示每条条款的原文（政策文件中记录的，或在 sources/ 中找到的）。",
    "Run the worked cases and report clause coverage (exit 1 when a case fails).":
        "运行测算案例并报告条款覆盖情况（有案例未通过时退出码为 1）。",
    "Only this region.": "只看这个地区。",
    "One household through every region side by side (--set applies where a region has the parameter).":
        "同一户家庭在各地区的测算结果并列对比（--set 只作用于有该参数的地区）。",
    "Name outputs by their names, or by their Chinese labels (zh).": "输出项用英文名称，或用中文名称（zh）。",
    "What changes between two policies and whom it affects. Sides: REGION@DATE REGION@DATE; two folders with "
    "--region and --date; or --rev REV with REGION@DATE (or --region and --date) against the working tree.":
        "比较两份政策的差异及受影响的家庭。比较的两方：REGION@DATE REGION@DATE；两个目录（加 --region 和 "
        "--date）；或 --rev REV 加 REGION@DATE（或 --region 和 --date），与当前工作目录比较。",
    "A git revision of the policy tree (once: against the working tree; twice: old and new).":
        "政策目录的一个 git 版本（给一次：与当前工作目录比较；给两次：新旧两方）。",
    "The region, when OLD/NEW are folders or --rev is used.": "地区（比较目录或使用 --rev 时）。",
    "The date, when OLD/NEW are folders or --rev.": "日期（比较目录或使用 --rev 时）。",
    "JSON Lines (or one JSON/YAML record): run the population through both sides.":
        "JSON Lines 文件（或一户的 JSON/YAML）：用两方政策分别测算这些家庭。",
    "Include households registered in other regions too.": "也包括户籍在其他地区的家庭。",
    "Output file: .jsonl, .csv, .parquet or .xlsx (member outputs beside it for CSV and Parquet, in a second sheet "
    "for .xlsx).": "输出文件：.jsonl、.csv、.parquet 或 .xlsx（CSV 和 Parquet 的成员结果另存一个文件，.xlsx 存在第二个工作表）。",
    "Rejected records as JSON Lines (default: beside the output, <out>.errors.jsonl).":
        "被拒记录写入的 JSON Lines 文件（默认与输出文件同目录，以输出文件命名：<out>.errors.jsonl）。",
    "Evaluate households registered in other regions too (by default they are rejected).":
        "户籍在其他地区的家庭也予测算（默认拒绝）。",
    "Households per chunk (memory is bounded by the chunk).": "每批处理的户数（内存占用以批为限）。",
    "Run per partition on Dask: a scheduler address, or 'local' for a local cluster.":
        "在 Dask 上按分区运行：调度器地址，或 local 表示本机集群。",
    "The encoding of CSV tables, e.g. gbk or gb18030 for files saved by Excel on a Chinese Windows (default: UTF-8, "
    "with or without a byte-order mark).":
        "CSV 表格的编码，例如中文 Windows 上 Excel 保存的文件用 gbk 或 gb18030（默认 UTF-8，带不带 BOM 均可）。",
    "Write CSV with a UTF-8 byte-order mark, so Excel opens it right.": "CSV 写入 UTF-8 BOM，便于 Excel 正确打开。",
    "Check the invariants on generated households in every region (exit 1 on a violation).":
        "在各地区用生成的家庭检查不变式（有违反时退出码为 1）。",
    "Only these regions (repeatable).": "只检查这些地区（可重复）。",
    "Generated households per invariant and region (shrunk on failure).": "每个不变式、每个地区生成的家庭数（失败时自动缩减）。",
    "Households taken from each file of the bundled caseload as well (0: none).": "另从附带的案例数据每个文件中取的户数（0 为不取）。",
    "The invariants file (default: invariants.yaml in the policy folder).": "不变式文件（默认：政策目录中的 invariants.yaml）。",
    "Also the cross-region report: where regions disagree, and why.": "同时输出跨地区报告：各地区结论不同之处及原因。",
    "As JSON.": "以 JSON 输出。",
    "A region's parameters: dated values with their sources; to and from Excel.":
        "地区参数：分时段取值及其依据；可导出到 Excel、从 Excel 导入。",
    "The dated values of REGION's parameters (or only NAME) with source, clause and confidence.":
        "地区 REGION 各参数（或只看 NAME）的分时段取值，附文件、条款和可信度。",
    "The values in force on this date, YYYY-MM-DD.": "只看这一天有效的取值，格式 YYYY-MM-DD。",
    "Write REGION's parameter histories to an Excel workbook, one sheet per parameter.":
        "把地区 REGION 的参数历史写入 Excel 工作簿，每个参数一个工作表。",
    "The workbook to write (.xlsx).": "要写入的工作簿（.xlsx）。",
    "Show what a workbook of parameter values would change in the policy files; --write makes the change.":
        "显示参数工作簿会对政策文件做的修改；加 --write 才真正写入。",
    "The region (default: the one the workbook was exported from).": "地区（默认：工作簿导出时的地区）。",
    "Write the changes into the policy files (without it: only show them).": "把修改写入政策文件（不加时只显示修改）。",
    "REGION's rules and parameters as a document: label, clause and its words, expression, reading, history.":
        "地区 REGION 的规则和参数说明文档：名称、条款及原文、表达式、解读说明、取值历史。",
    "Markdown, a standalone HTML page, or the document's data as JSON.": "Markdown、独立的 HTML 页面，或文档数据的 JSON。",
    "Write the generated tables into the region's README.md between their markers, or check that they are current "
    "(exit 1 when not).": "把生成的表格写入该地区 README.md 的标记之间，或检查它们是否最新（不是最新时退出码为 1）。",
    # table headers and words in tables
    "region": "地区",
    "name": "名称",
    "version": "版本",
    "span": "适用期间",
    "digest": "摘要",
    "outputs": "输出项数",
    "must be supplied": "须补充",
    "output": "输出项",
    "change": "变化",
    "old": "原",
    "new": "新",
    "reaches": "影响到",
    "parameter": "参数",
    "rule": "规则",
    "member rule": "成员规则",
    "parameter, output": "参数，输出项",
    "changed": "修改",
    "added": "新增",
    "removed": "删除",
    "passed": "通过",
    "cases": "案例数",
    "clauses encoded": "已编码条款",
    "with worked cases": "有测算案例的",
    "clauses without a worked case": "没有测算案例的条款",
    "file": "文件",
    "line": "行",
    "column": "列",
    "severity": "级别",
    "code": "代码",
    "message": "说明",
    "from": "起",
    "to": "止",
    "value": "取值",
    "source": "依据",
    "confidence": "可信度",
    "in force": "有效期",
    "field": "字段",
    "member": "成员",
    "income": "收入",
    "amount": "金额",
    "per month": "每月",
    "counted": "计入",
    "excluded": "不计入",
    "decided by": "依据",
    "month": "月",
    "year": "年",
    "open": "至今",
    "on": "于",
    "policy": "政策",
    "layer": "层级",
    "Incomes": "收入",
    "Outputs": "输出项",
    "Rules": "规则",
    "Parameters": "参数",
    "Reading": "解读",
    "catalogue": "编号",
    "clauses": "条款",
    "rules and parameters": "规则和参数",
    "not defined": "未规定",
    "no changes": "没有修改",
    "no changes in parameters or rules": "参数和规则均无变化",
    "FAIL": "未通过",
    "eligibility gained": "新增符合条件",
    "eligibility lost": "不再符合条件",
    "taper gained": "新进入渐退期",
    "taper lost": "不再处于渐退期",
    "monitoring gained": "新纳入监测",
    "monitoring lost": "不再监测",
    "no change": "无变化",
    "a string": "文本",
    "an integer": "整数",
    "a number": "数字",
    "an object": "对象",
    "a list": "列表",
    "true/false": " true/false",
    "null": " null",
    "a date and time": "日期时间",
    # sentences with fields
    "{count} problems: run dibao check": "{count} 个问题：请运行 dibao check",
    "not excluded by {names}": "未被 {names} 排除",
    "{name}: expected {want}, got {got}": "{name}：应为 {want}，实为 {got}",
    "{passed} passed, {failed} failed": "{passed} 个通过，{failed} 个未通过",
    "policy tree {tree}: {layers} layers, {regions} regions checked": "政策目录 {tree}：{layers} 个层级，已检查 {regions} 个地区",
    ", {count} not checked ({regions}: {files} did not load)": "，{count} 个未检查（{regions}：{files} 未能加载）",
    ": 1 problem": "：1 个问题",
    ": {count} problems": "：{count} 个问题",
    "impact on {count} households": "对 {count} 户家庭的影响",
    "({read} read, {rejected} rejected, {other} registered elsewhere)": "（读入 {read} 户，拒绝 {rejected} 户，户籍在外地 {other} 户）",
    "monthly benefit change": "月低保金变化",
    "monthly cost {old} → {new} ({change}); annual change {annual}": "每月支出 {old} → {new}（{change}）；全年变化 {annual}",
    "{count} households could not be evaluated": "{count} 户无法测算",
    "{count} parameters of {region} written to {out}": "{region} 的 {count} 个参数已写入 {out}",
    "written: {files}": "已写入：{files}",
    "nothing written: run again with --write to make these changes": "未写入：加 --write 重新运行才会写入这些修改",
    "{path}: current ({blocks})": "{path}：已是最新（{blocks}）",
    "{path}: out of date; run dibao doc {region} --readme write": "{path}：不是最新，请运行 dibao doc {region} --readme write",
    "{path}: written ({blocks})": "{path}：已写入（{blocks}）",
    "{region} on {day}: {records} records → {rows} rows in {out}, {errors} rejected in {errors_file} ({seconds} s)":
        "{region} 于 {day}：{records} 条记录 → {rows} 行写入 {out}，{errors} 条被拒绝，写入 {errors_file}（{seconds} 秒）",
    "  eligible {eligible}; monthly benefit {monthly} yuan ({annual} a year); policy {version} {digest}":
        "  符合条件 {eligible} 户；月低保金 {monthly} 元（全年 {annual} 元）；政策 {version} {digest}",
    "  rejected for: {reasons}": "  拒绝原因：{reasons}",
    "outputs evaluated by the interpreter: {names}": "由解释器测算的输出项：{names}",
    "error: no household was answered (see the errors file)": "错误：没有一户得到测算结果（见错误文件）",
}

_NAME = r"[\w./\[\]-]+"

PATTERNS: list[tuple[str, str]] = [
    # loading and resolving
    (r"unknown region '(?P<name>[^']*)'; the regions are: (?P<list>.*)", "没有地区 '{name}'；现有地区：{list}"),
    (r"(?P<region>\S+) answers for (?P<start>\S+) – (?P<end>\S+); (?P<day>\S+) is outside its span",
     "{region} 的适用期间为 {start} 至 {end}；{day} 不在其中"),
    (r"(?P<region>\S+) answers from (?P<start>\S+), the first date its own rules cover \(their date of effect\); "
     r"(?P<day>\S+) is before it",
     "{region} 自 {start} 起适用（其本地规则生效之日）；{day} 在此之前"),
    (r"policy tree (?P<tree>\S+) \(given; (?P<digest>[^)]*)\)(?P<local_msg>.*)", "政策目录 {tree}（命令行指定；{digest}）{local_msg}"),
    (r"policy tree (?P<tree>\S+) \(from \$DIBAO_POLICIES; (?P<digest>[^)]*)\)(?P<local_msg>.*)",
     "政策目录 {tree}（来自 $DIBAO_POLICIES；{digest}）{local_msg}"),
    (r"policy tree (?P<tree>\S+) \(found from the working folder; (?P<digest>[^)]*)\)(?P<local_msg>.*)",
     "政策目录 {tree}（从当前目录找到；{digest}）{local_msg}"),
    (r"policy tree (?P<tree>\S+) \(bundled with dibao; (?P<digest>[^)]*)\)(?P<local_msg>.*)",
     "政策目录 {tree}（dibao 自带；{digest}）{local_msg}"),
    (r"policy tree (?P<tree>\S+) at (?P<rev>\S+) \((?P<digest>[^)]*)\)", "政策目录 {tree}（版本 {rev}；{digest}）"),
    (r"; local values from (?P<files>.+)", "；本地参数取自 {files}"),
    (r"household (?P<id>.+?): (?P<rest_msg>.+)", "家庭 {id}：{rest_msg}"),
    (r"(?P<name>\S+) \((?P<label>[^)]*)\) must be supplied for (?P<region>\S+) on (?P<day>\S+): (?P<reason>.*); its "
     r"values cover (?P<cover_msg>.*); supply it with --set (?P<set>\S+) or in a --params file",
     "{name}（{label}）在 {region} 于 {day} 须补充：{reason}；已有取值的期间：{cover_msg}；请用 --set {set} 或 --params "
     "文件补充"),
    (r"(?P<name>\S+) \((?P<label>[^)]*)\) must be supplied for (?P<region>\S+) on (?P<day>\S+): (?P<reason>.*); its "
     r"values cover (?P<cover_msg>.*); supply it with --set (?P<set>\S+)",
     "{name}（{label}）在 {region} 于 {day} 须补充：{reason}；已有取值的期间：{cover_msg}；请用 --set {set} 补充"),
    (r"(?P<name>\S+) \((?P<label>[^)]*)\) has no value on (?P<day>\S+) in (?P<region>\S+); its values cover "
     r"(?P<cover_msg>.*); supply one with --set (?P<set>\S+)",
     "{name}（{label}）在 {region} 于 {day} 没有取值；已有取值的期间：{cover_msg}；请用 --set {set} 补充"),
    (r"--set (?P<name>\S+): no parameter of that name in (?P<region>\S+)", "--set {name}：{region} 没有这个参数"),
    (r"(?P<region>\S+) has no parameter '(?P<name>[^']*)'; its parameters are: (?P<list>.*)",
     "{region} 没有参数 '{name}'；它的参数有：{list}"),
    (r"'(?P<value>[^']*)' is not a date written YYYY-MM-DD", "'{value}' 不是 YYYY-MM-DD 格式的日期"),
    # policy files
    (r"(?P<name>\S+): this (?P<what>value|variant) from (?P<b>\S+) overlaps the one from (?P<a>\S+) \((?P<until>[^,]*), "
     r"at line (?P<line>\d+)\); end the earlier one the day before",
     "{name}：从 {b} 起的取值与从 {a} 起的取值（{until}，第 {line} 行）重叠；请把前一个的结束日期改为前一天"),
    (r"(?P<name>\S+): a second (?P<what>value|variant) from (?P<day>\S+) \(the (?:value|variant) at line (?P<line>\d+) "
     r"starts the same day\); two (?:values|variants) cannot start together: replace the one at line (?P=line) with "
     r"this one, or remove this one",
     "{name}：又一个从 {day} 起的取值（第 {line} 行的取值也从这一天起）；两个取值不能同一天开始：请用这一个替换第 {line} 行的，"
     "或删去这一个"),
    (r"unknown name '(?P<name>[^']*)'", "未知名称 '{name}'"),
    (r"'(?P<value>[^']*)' is not an? (?P<what>[\w ]+); the values are: (?P<list>.*)",
     "'{value}' 不是有效的 {what}；可用的值：{list}"),
    (r"could not parse YAML: (?P<problem>.*)", "无法解析 YAML：{problem}"),
    (r"indentation: `(?P<key>[^`]+):` is at column (?P<col>\d+), the column of the `- ` that starts the item at line "
     r"(?P<line>\d+), whose keys are at column (?P<keys>\d+): .*",
     "缩进：`{key}:` 位于第 {col} 列，与第 {line} 行开始该项的 `- ` 同列，而该项的键在第 {keys} 列：YAML 会把它当作列表中的新内容，"
     "而不是该项的一部分。请把 `{key}:` 缩进到第 {keys} 列，与该项的其他键对齐"),
    (r"indentation: `(?P<key>[^`]+):` is at column (?P<col>\d+), between the `- ` \(column (?P<dash>\d+)\) that starts "
     r"the item at line (?P<line>\d+) and the item's keys \(column (?P<keys>\d+)\), .*",
     "缩进：`{key}:` 位于第 {col} 列，在第 {line} 行开始该项的 `- `（第 {dash} 列）与该项的键（第 {keys} 列）之间，YAML 无法判断它属于哪里。"
     "请把 `{key}:` 缩进到第 {keys} 列，与该项的其他键对齐"),
    (r"indentation: `(?P<key>[^`]+):` is at column (?P<col>\d+), less than `(?P<above>[^`]+):` on line (?P<line>\d+) "
     r"\(column (?P<acol>\d+)\), so YAML reads it as a key of (?P<owner>.+?), not of the mapping .*",
     "缩进：`{key}:` 位于第 {col} 列，比第 {line} 行的 `{above}:`（第 {acol} 列）靠左，YAML 会把它当作 {owner} 的键。"
     "请把 `{key}:` 缩进到第 {acol} 列，与 `{above}:` 对齐"),
    (r"indentation: `(?P<key>[^`]+):` is indented more than `(?P<above>[^`]+):` on line (?P<line>\d+) \(column "
     r"(?P<col>\d+), not (?P<acol>\d+)\), .*",
     "缩进：`{key}:` 比第 {line} 行的 `{above}:` 缩进得多（第 {col} 列，而不是第 {acol} 列），YAML 会把它当作 `{above}:` "
     "取值的一部分，而取值中不能有 `键: 值`。如果它是单独的键，请缩进到第 {acol} 列，与 `{above}:` 对齐"),
    (r"indentation: `(?P<key>[^`]+):` is at column (?P<col>\d+), more than `(?P<above>[^`]+):` on line (?P<line>\d+) "
     r"\(column (?P<acol>\d+)\); .* indent it to column (?P<to>\d+)",
     "缩进：`{key}:` 位于第 {col} 列，比第 {line} 行的 `{above}:`（第 {acol} 列）靠右；如果它与上面的键属于同一层，"
     "请缩进到第 {to} 列"),
    (r"indentation: `(?P<key>[^`]+):` is at column (?P<col>\d+), less than the keys of (?P<owner>.+?) \(column "
     r"(?P<keys>\d+), like `(?P<above>[^`]+):` on line (?P<line>\d+)\) and more than the keys at column (?P<outer>\d+), .*",
     "缩进：`{key}:` 位于第 {col} 列，比 {owner} 的键（第 {keys} 列，如第 {line} 行的 `{above}:`）靠左，又比第 {outer} 列的键靠右，"
     "YAML 无法判断它属于哪个映射。若它属于 {owner}，请缩进到第 {keys} 列"),
    (r"indentation: this list item \(`- `\) is at column (?P<col>\d+), but the item above it, at line (?P<line>\d+), is "
     r"at column (?P<acol>\d+); .*",
     "缩进：这个列表项（`- `）位于第 {col} 列，而上面第 {line} 行的列表项在第 {acol} 列；同一列表的各项必须对齐。"
     "请把 `- ` 移到第 {acol} 列"),
    # households
    (r"(?P<path>\S+): (?P<words_msg>.+?) \(record (?P<id>.+)\)", "{path}：{words_msg}（记录 {id}）"),
    (r"is required", "必填"),
    (r"unknown field", "未知字段"),
    (r"must be true or false, not (?P<kind_msg>a string|an integer|a number|an object|a list|true/false|null|a date and time)(?P<value>.*)", "必须是 true 或 false，而不是{kind_msg}{value}"),
    (r"must be true or false, not (?P<rest>.*)", "必须是 true 或 false，而不是 {rest}"),
    (r"must be a whole number, not (?P<kind_msg>a string|an integer|a number|an object|a list|true/false|null|a date and time)(?P<value>.*)", "必须是整数，而不是{kind_msg}{value}"),
    (r"must be a whole number, not (?P<rest>.*)", "必须是整数，而不是 {rest}"),
    (r"must be a string, not (?P<kind_msg>a string|an integer|a number|an object|a list|true/false|null|a date and time)(?P<value>.*)", "必须是文本，而不是{kind_msg}{value}"),
    (r"must be a string, not (?P<rest>.*)", "必须是文本，而不是 {rest}"),
    (r"must be a date written YYYY-MM-DD, not (?P<kind_msg>a string|an integer|a number|an object|a list|true/false|null|a date and time)(?P<value>.*)", "必须是 YYYY-MM-DD 格式的日期，而不是{kind_msg}{value}"),
    (r"must be a date written YYYY-MM-DD, not (?P<rest>.*)", "必须是 YYYY-MM-DD 格式的日期，而不是 {rest}"),
    (r"must be between (?P<low>\S+) and (?P<high>\S+), not (?P<value>.*)", "必须在 {low} 与 {high} 之间，而不是 {value}"),
    (r"unknown value (?P<value>.+) \(allowed: (?P<list>.*)\)", "未知的值 {value}（可用：{list}）"),
    (r"must not be negative, not (?P<value>.*)", "不能为负数，而不是 {value}"),
    (r"must have at most 2 decimal places \(yuan.fen\), not (?P<value>.*)", "最多两位小数（元.分），而不是 {value}"),
    (r"not a real date: (?P<value>.*)", "不是真实存在的日期：{value}"),
    (r"must have at least one member", "至少要有一名成员"),
    (r"must not be empty", "不能为空"),
    # files
    (r"(?P<file>\S+) is not (?P<enc>\S+) text: bytes (?P<bytes>[0-9a-f ]+) at line (?P<line>\d+) cannot be read as "
     r"(?P=enc); .*try --encoding (?P<try>\S+).*",
     "{file} 不是 {enc} 编码的文本：第 {line} 行的字节 {bytes} 无法按 {enc} 读取；中文 Windows 上 Excel 保存的文件通常是 GBK："
     "请试试 --encoding {try}"),
    (r"(?P<path>.+): no such file(?: or folder)?", "{path}：文件不存在"),
    (r"cannot read (?P<path>.+): No such file or directory", "无法读取 {path}：文件不存在"),
    # click's usage errors
    (r"Missing option '(?P<option>[^']+)'\.", "缺少选项 {option}。"),
    (r"Missing argument '(?P<argument>[^']+)'\.", "缺少参数 {argument}。"),
    (r"No such option: (?P<option>\S+)", "没有选项 {option}"),
    (r"No such command '(?P<command>[^']+)'\.", "没有命令 {command}。"),
    (r"Invalid value for '(?P<option>[^']+)': (?P<problem_msg>.*)", "选项 {option} 的值无效：{problem_msg}"),
    (r"Got unexpected extra arguments? \((?P<args>.*)\)", "多余的参数（{args}）"),
]

# Fragments replaced inside a message no pattern matched (lists of dates, for one).
FRAGMENTS: dict[str, str] = {
    " (must be supplied)": "（须补充）",
    " – open": " – 至今",
    " · in force ": " · 有效期 ",
}

LABELS: dict[str, str] = {
    "id": "户编号",
    "household_id": "户编号",
    "member_id": "成员编号",
    "income.countable_monthly": "家庭月收入（核算后）",
    "income.per_capita_monthly": "家庭月人均收入",
    "dibao.standard_annual": "低保标准（年）",
    "dibao.standard_monthly": "低保标准（月）",
    "dibao.eligible": "符合低保条件",
    "dibao.benefit_monthly": "月低保金",
    "dibao.single_person_members": "单人户纳入成员",
    "dibao.exit": "退出低保",
    "taper.applies": "适用渐退期",
    "taper.months_min": "渐退期最短月数",
    "taper.months_max": "渐退期最长月数",
    "taper.starts_on": "渐退期起始日",
    "taper.ends_on": "渐退期结束日",
    "taper.review_from": "渐退期复核起始日",
    "monitoring.include": "纳入监测",
    "monitoring.verification_due_on": "核查确定期限",
    "monitoring.measures_from": "帮扶措施起始日",
    "monitoring.exit": "退出监测",
    "monitoring.next_assessment_on": "下次收支测算日",
    "special_assistance.monthly": "特别救助金（月）",
    "temporary_assistance.approval_level": "临时救助审批层级",
    "medical_assistance.ratio": "医疗救助比例",
    "disability_subsidy.monthly": "残疾人补贴（月）",
    "key_recipient": "重点救助对象",
}
