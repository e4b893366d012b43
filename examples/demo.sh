#!/usr/bin/env bash
# The main job on the bundled caseload: each region's 2,000 households through its own
# rules on a date its sources give figures for, written as Parquet with an errors file.
# What a region leaves to the county (must-supply values) comes from the example local
# parameter file of the region, examples/params/<region>.yaml: example values, not law.
set -euo pipefail
cd "$(dirname "$0")/.."
dibao="${DIBAO:-.venv/bin/dibao}"
out="${OUT:-out}"
mkdir -p "$out"
run() {  # region date [--set ...]
  local region=$1 day=$2 file=${1%%/*}
  shift 2
  "$dibao" batch --region "$region" --date "$day" --params "examples/params/$file.yaml" "$@" \
    "examples/caseload/$file.jsonl" --out "$out/${region//\//-}.parquet"
}
run hebi 2017-10-01
run yangjiang 2022-06-30
run suining 2017-10-01
run inner_mongolia/hinggan 2024-06-30
run dongtai 2022-06-30
echo "outputs, member tables and errors files are in $out/"
