# Installs what Guichet Enfance needs into .\.venv (Python packages from PyPI), on Windows 10/11: the
# counterpart of scripts/setup.sh. Needs only Python >= 3.11 from python.org (its "py" launcher), or a python on
# PATH. Qt needs no system library on Windows (PySide6's wheels bring them).
# Usage (PowerShell 5.1 or 7):  powershell -ExecutionPolicy Bypass -File scripts\setup.ps1 [-Dev]
#   -Dev: the test and lint tools too (pytest, ruff, mypy...), as `pip install -e ".[dev]"`.
param([switch]$Dev)

$ErrorActionPreference = 'Stop'
Set-Location (Split-Path -Parent $PSScriptRoot)

$MinimumPython = [version]'3.11'
$VenvPython = Join-Path (Get-Location) '.venv\Scripts\python.exe'

function Stop-Setup([string]$Message) {
    [Console]::Error.WriteLine("Erreur : $Message")
    exit 1
}

function Assert-Success([string]$Message) {
    if ($LASTEXITCODE -ne 0) { Stop-Setup "$Message (code de sortie $LASTEXITCODE)." }
}

# The version of one candidate interpreter ("py -3.11", "python"...), or $null when it does not answer: a missing
# version of the launcher, or the Microsoft Store's python.exe stand-in, which prints a message and fails.
function Get-PythonVersion([string[]]$Command) {
    # Windows PowerShell 5.1 turns a native program's standard error into errors once redirected: not here.
    $ErrorActionPreference = 'Continue'
    $program = $Command[0]
    $options = @($Command | Select-Object -Skip 1)
    try {
        $out = & $program @options -c "import sys; print('.'.join(map(str, sys.version_info[:3])))" 2>$null
    } catch {
        return $null  # not a program at all ($env:PYTHON misspelt)
    }
    if ($LASTEXITCODE -ne 0 -or -not $out) { return $null }
    $text = [string]($out | Select-Object -Last 1)
    if ($text -notmatch '^\d+\.\d+\.\d+$') { return $null }
    return [version]$text
}

# $env:PYTHON (a program on PATH or a path, like scripts/setup.sh's PYTHON) chooses the interpreter; otherwise
# the python.org launcher's 3.11, its newest 3.x, then python on PATH.
function Find-Python {
    $candidates = @()
    if ($env:PYTHON) {
        $candidates += , @($env:PYTHON)
    } elseif (Get-Command py -ErrorAction SilentlyContinue) {
        $candidates += , @('py', '-3.11')
        $candidates += , @('py', '-3')
    }
    if (-not $env:PYTHON -and (Get-Command python -ErrorAction SilentlyContinue)) {
        $candidates += , @('python')
    }
    $tooOld = $null
    foreach ($candidate in $candidates) {
        $version = Get-PythonVersion $candidate
        if ($null -eq $version) { continue }
        if ($version -ge $MinimumPython) { return , $candidate }
        if ($null -eq $tooOld) { $tooOld = "$($candidate -join ' ') est en version $version" }
    }
    $download = 'https://www.python.org/downloads/windows/'
    if ($tooOld) {
        Stop-Setup "Python $MinimumPython ou plus récent est nécessaire ($tooOld). Installez-le depuis $download puis relancez."
    }
    if ($env:PYTHON) { Stop-Setup "Python est introuvable : PYTHON=$env:PYTHON ne répond pas." }
    Stop-Setup "Python $MinimumPython ou plus récent est introuvable (ni « py » ni « python »). Installez-le depuis $download (case « Add python.exe to PATH » ou lanceur « py ») puis relancez."
}

if (-not (Test-Path $VenvPython)) {
    $python = Find-Python
    $program = $python[0]
    $options = @($python | Select-Object -Skip 1)
    Write-Host "Création de l'environnement .venv avec $($python -join ' ')..."
    & $program @options -m venv .venv
    Assert-Success "la création de l'environnement Python .venv a échoué"
}

$env:PIP_DISABLE_PIP_VERSION_CHECK = '1'
& $VenvPython -m pip install -q --upgrade pip
Assert-Success "la mise à jour de pip a échoué"

$target = '.'
if ($Dev) { $target = '.[dev]' }
& $VenvPython -m pip install -q -e $target
Assert-Success "l'installation des paquets Python (pip install -e $target) a échoué"

& $VenvPython -c 'import app, sqlalchemy, PySide6'
Assert-Success "l'installation est incomplète : app, sqlalchemy ou PySide6 ne se chargent pas"
