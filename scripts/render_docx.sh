#!/usr/bin/env bash
# Render a .docx the way a reader sees it: LibreOffice (headless) → PDF → one PNG per page.
#
#   scripts/render_docx.sh FILE.docx [OUT_DIR] [DPI]
#
# Writes OUT_DIR/<name>.pdf and OUT_DIR/<name>-<page>.png (default OUT_DIR: $TMPDIR/policyc-render or /tmp/policyc-render, DPI 80).
# Needs: libreoffice-writer, poppler-utils (pdftoppm) and, for Chinese text, a CJK font such as
# fonts-noto-cjk:  apt-get update && apt-get install -y libreoffice-writer poppler-utils fonts-noto-cjk
# Fonts named by GB/T 9704 (仿宋_GB2312, 方正小标宋简体, 楷体_GB2312, 黑体) are rarely installed on
# Linux. So that the preview still tells serif body text from 黑体 headings, a private fontconfig
# file maps them to the closest installed Noto CJK face (serif for 仿宋/宋/楷, sans for 黑体);
# glyph shapes differ from the real fonts, metrics and layout (22 × 28 grid) do not.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 3 ]]; then
  echo "用法：$0 FILE.docx [OUT_DIR] [DPI]" >&2
  exit 2
fi
input=$1
out_dir=${2:-${TMPDIR:-/tmp}/policyc-render}
dpi=${3:-80}
if [[ ! -f $input ]]; then
  echo "错误：找不到文件 $input" >&2
  exit 1
fi
for tool in libreoffice pdftoppm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "错误：缺少 $tool（apt-get install -y libreoffice-writer poppler-utils fonts-noto-cjk）" >&2
    exit 1
  fi
done

mkdir -p "$out_dir"
name=$(basename "${input%.*}")
# A private profile directory: a headless run must not touch (or wait for) the user's profile.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
alias() {  # alias FAMILY PREFERRED
  printf '  <alias binding="same"><family>%s</family><prefer><family>%s</family></prefer></alias>\n' "$1" "$2"
}
{
  echo '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
  echo '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
  for f in 仿宋_GB2312 仿宋 FangSong 方正小标宋简体 宋体 SimSun 楷体_GB2312 楷体 KaiTi; do
    alias "$f" "Noto Serif CJK SC"
  done
  for f in 黑体 SimHei; do alias "$f" "Noto Sans CJK SC"; done
  echo '</fontconfig>'
} >"$profile/fonts.conf"
export FONTCONFIG_FILE="$profile/fonts.conf"
libreoffice -env:UserInstallation="file://$profile" --headless --convert-to pdf \
  --outdir "$out_dir" "$input" >/dev/null
pdftoppm -png -r "$dpi" "$out_dir/$name.pdf" "$out_dir/$name"
ls "$out_dir/$name"*.png
