# 进度台账门户 @VERSION@ 离线安装（Windows x64）：新建一个 Python 虚拟环境，只从本安装包的 wheels\ 安装门户
# 及其全部依赖，不访问任何软件源。
#
#   powershell -ExecutionPolicy Bypass -File install.ps1 [-Venv .venv]   默认在当前目录建 .venv（在台账仓库的根目录运行）
#   $env:PYTHON = "C:\Python312\python.exe"                               指定 Python（3.11、3.12 或 3.13）
#
# 再次运行（例如换了新版本的安装包）会把同一个虚拟环境更新到安装包里的版本。
param([string]$Venv = ".venv")

$ErrorActionPreference = "Stop"
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path
$Version = "@VERSION@"

function Fail([string]$Text) {
    Write-Host "安装失败：$Text" -ForegroundColor Red
    exit 1
}

function Test-Python([string]$Command, [string[]]$Arguments) {
    try {
        & $Command @Arguments -c "import sys; sys.exit(0 if (3, 11, 5) <= sys.version_info[:3] and sys.version_info[:2] <= (3, 13) else 1)" 2>$null | Out-Null
        return ($LASTEXITCODE -eq 0)
    } catch {
        return $false
    }
}

$PyExe = $null
$PyArgs = @()
if ($env:PYTHON) {
    if (-not (Test-Python $env:PYTHON @())) { Fail "PYTHON=$($env:PYTHON) 不是 Python 3.11（3.11.5 或更高）、3.12 或 3.13" }
    $PyExe = $env:PYTHON
} else {
    if (Get-Command py -ErrorAction SilentlyContinue) {
        foreach ($v in @("3.13", "3.12", "3.11")) {
            if (Test-Python "py" @("-$v")) { $PyExe = "py"; $PyArgs = @("-$v"); break }
        }
    }
    if (-not $PyExe -and (Get-Command python -ErrorAction SilentlyContinue) -and (Test-Python "python" @())) {
        $PyExe = "python"
    }
    if (-not $PyExe) { Fail "没有找到 Python 3.11（3.11.5 或更高）、3.12 或 3.13（64 位）；请先安装，或用 `$env:PYTHON 指定" }
}

Write-Host "校验安装包（SHA256SUMS）……"
foreach ($line in Get-Content -LiteralPath (Join-Path $Here "SHA256SUMS") -Encoding UTF8) {
    if (-not $line) { continue }
    $hash, $name = $line -split "  ", 2
    $file = Join-Path $Here $name
    if (-not (Test-Path -LiteralPath $file)) { Fail "安装包缺少文件 $name，请重新拷贝安装包" }
    $actual = (Get-FileHash -LiteralPath $file -Algorithm SHA256).Hash.ToLower()
    if ($actual -ne $hash) { Fail "$name 与 SHA256SUMS 不符，请重新拷贝安装包" }
}

Write-Host "建虚拟环境 $Venv ……"
& $PyExe @PyArgs -m venv $Venv
if ($LASTEXITCODE -ne 0) { Fail "无法创建虚拟环境" }

Write-Host "从 $Here\wheels 安装门户 $Version 及依赖（不访问网络）……"
$VenvPython = Join-Path $Venv "Scripts\python.exe"
& $VenvPython -m pip install --disable-pip-version-check --no-index --find-links (Join-Path $Here "wheels") `
    --requirement (Join-Path $Here "requirements.txt") "progress-portal==$Version"
if ($LASTEXITCODE -ne 0) { Fail "pip 安装未完成（见上方信息）" }

& (Join-Path $Venv "Scripts\portal.exe") --version
if ($LASTEXITCODE -ne 0) { Fail "portal 命令无法运行" }
Write-Host "安装完成。命令在 $Venv\Scripts\ 下：portal validate、portal build、mkdocs serve，见 README.md。"
