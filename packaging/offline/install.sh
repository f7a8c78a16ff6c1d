#!/bin/sh
# 进度台账门户 @VERSION@ 离线安装（Linux x86_64）：新建一个 Python 虚拟环境，只从本安装包的 wheels/ 安装门户
# 及其全部依赖，不访问任何软件源。
#
#   sh install.sh [虚拟环境目录]        默认在当前目录建 .venv（在台账仓库的根目录运行）
#   PYTHON=/usr/bin/python3.12 sh install.sh    指定 Python（3.11、3.12 或 3.13）
#
# 再次运行（例如换了新版本的安装包）会把同一个虚拟环境更新到安装包里的版本。
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
VENV=${1:-.venv}
VERSION=@VERSION@

say() { printf '%s\n' "$*"; }
fail() { printf '安装失败：%s\n' "$*" >&2; exit 1; }

supported() {
    "$1" -c 'import sys; sys.exit(0 if (3, 11, 5) <= sys.version_info[:3] and sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null
}

if [ -n "${PYTHON:-}" ]; then
    supported "$PYTHON" || fail "PYTHON=$PYTHON 不是 Python 3.11（3.11.5 或更高）、3.12 或 3.13"
    PY=$PYTHON
else
    PY=
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && supported "$candidate"; then
            PY=$candidate
            break
        fi
    done
    [ -n "$PY" ] || fail "没有找到 Python 3.11（3.11.5 或更高）、3.12 或 3.13；请先安装，或用 PYTHON=... 指定"
fi

if command -v sha256sum >/dev/null 2>&1; then
    say "校验安装包（SHA256SUMS）……"
    (cd "$HERE" && sha256sum --check --quiet SHA256SUMS) || fail "安装包文件与 SHA256SUMS 不符，请重新拷贝安装包"
fi

say "用 $("$PY" -c 'import sys; print(sys.executable, sys.version.split()[0])') 建虚拟环境 $VENV ……"
"$PY" -m venv "$VENV" || fail "无法创建虚拟环境（Debian/Ubuntu 需要 python3-venv 软件包）"

say "从 $HERE/wheels 安装门户 $VERSION 及依赖（不访问网络）……"
"$VENV/bin/python" -m pip install --disable-pip-version-check --no-index --find-links "$HERE/wheels" \
    --requirement "$HERE/requirements.txt" "progress-portal==$VERSION" \
    || fail "pip 安装未完成（见上方信息）"

"$VENV/bin/portal" --version
say "安装完成。命令在 $VENV/bin/ 下：portal validate、portal build、mkdocs serve，见 README.md。"
