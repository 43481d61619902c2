# Installs what Guichet Enfance needs into .\.venv (Python packages from PyPI), on Windows 10/11: the
# counterpart of scripts/setup.sh. Needs only a supported Python from python.org (see $SupportedPythons below; its
# "py" launcher, or a python on PATH). Qt needs no system library on Windows (PySide6's wheels bring them).
# Usage (PowerShell 5.1 or 7):  powershell -ExecutionPolicy Bypass -File scripts\setup.ps1 [-Dev] [-Force]
#   -Dev: the test and lint tools too (pytest, ruff, mypy...), as `pip install -e ".[dev]"`.
#   -Force: installs again even when nothing changed.
# The package index is asked only when something is to install: no .venv yet, pyproject.toml changed since the last
# install (its SHA-256 is kept in .venv\guichet-install.txt), -Dev asked after an install without it, or the
# installed packages no longer load. Otherwise the script only checks that they load, without the network: an
# office offline or behind a proxy starts as well.
param([switch]$Dev, [switch]$Force)

$ErrorActionPreference = 'Stop'
Set-Location (Split-Path -Parent $PSScriptRoot)

# The Python versions Guichet Enfance runs on: from pyproject.toml's requires-python (>= 3.11) to the newest the
# pinned PySide6 supports (PySide6-Essentials < 6.12, whose 6.11 wheels require Python < 3.15). The py launcher is
# asked for them in this order (3.11 is the version the CI runs); "py -3" alone would take the newest installed
# Python, for which PySide6 may not exist.
$SupportedPythons = @('3.12', '3.11', '3.13', '3.14')
$SupportedWords = '3.11, 3.12, 3.13 ou 3.14'
$Download = 'https://www.python.org/downloads/windows/'
$VenvPython = Join-Path (Get-Location) '.venv\Scripts\python.exe'
$Stamp = Join-Path (Get-Location) '.venv\guichet-install.txt'

function Stop-Setup([string]$Message) {
    [Console]::Error.WriteLine("Erreur : $Message")
    exit 1
}

function Assert-Success([string]$Message) {
    if ($LASTEXITCODE -ne 0) { Stop-Setup "$Message (code de sortie $LASTEXITCODE)." }
}

function Test-SupportedPython([version]$Version) {
    return $SupportedPythons -contains "$($Version.Major).$($Version.Minor)"
}

# The version of one candidate interpreter ("py -3.12", "python"...), or $null when it does not answer: a missing
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
# the python.org launcher's supported versions, then python on PATH if its version is supported.
function Find-Python {
    $candidates = @()
    if ($env:PYTHON) {
        $candidates += , @($env:PYTHON)
    } else {
        if (Get-Command py -ErrorAction SilentlyContinue) {
            foreach ($supported in $SupportedPythons) { $candidates += , @('py', "-$supported") }
        }
        if (Get-Command python -ErrorAction SilentlyContinue) { $candidates += , @('python') }
    }
    $unsupported = @()
    foreach ($candidate in $candidates) {
        $version = Get-PythonVersion $candidate
        if ($null -eq $version) { continue }
        if (Test-SupportedPython $version) { return , $candidate }
        $unsupported += "« $($candidate -join ' ') » est en version $version"
    }
    $advice = "Installez Python $SupportedWords (64 bits) depuis $Download, en cochant « Add python.exe to PATH », puis relancez."
    if ($unsupported) {
        Stop-Setup "Guichet Enfance fonctionne avec Python $SupportedWords (PySide6, sa bibliothèque d'écrans, n'existe pas pour les autres versions) ; $($unsupported -join ', '). $advice"
    }
    if ($env:PYTHON) { Stop-Setup "Python est introuvable : PYTHON=$env:PYTHON ne répond pas." }
    Stop-Setup "Python est introuvable (ni « py » ni « python »). $advice"
}

# Whether the packages load in .venv: `import` only, no network. Standard error is let through (a traceback
# says what is missing) but not turned into a PowerShell error.
function Test-Loads {
    $ErrorActionPreference = 'Continue'
    $null = & $VenvPython -c 'import app, sqlalchemy, PySide6'
    return ($LASTEXITCODE -eq 0)
}

$target = '.'
$extras = ''
if ($Dev) { $target = '.[dev]'; $extras = 'dev' }
$pyprojectHash = (Get-FileHash -Algorithm SHA256 -LiteralPath 'pyproject.toml').Hash

# Up to date: the stamp names this pyproject.toml and (for -Dev) the dev extras, and the packages load.
if (-not $Force -and (Test-Path $VenvPython) -and (Test-Path $Stamp)) {
    $installed = @(Get-Content -LiteralPath $Stamp)
    $sameProject = $installed.Count -ge 1 -and $installed[0] -eq $pyprojectHash
    $hasExtras = (-not $Dev) -or ($installed.Count -ge 2 -and $installed[1] -eq 'dev')
    if ($sameProject -and $hasExtras -and (Test-Loads)) { exit 0 }
}

if (-not (Test-Path $VenvPython)) {
    $python = Find-Python
    $program = $python[0]
    $options = @($python | Select-Object -Skip 1)
    Write-Host "Création de l'environnement .venv avec $($python -join ' ')..."
    & $program @options -m venv .venv
    Assert-Success "la création de l'environnement Python .venv a échoué"
} else {
    $venvVersion = Get-PythonVersion $VenvPython
    if ($null -ne $venvVersion -and -not (Test-SupportedPython $venvVersion)) {
        Stop-Setup "l'environnement .venv a été créé avec Python $venvVersion ; Guichet Enfance fonctionne avec Python $SupportedWords. Supprimez le dossier .venv, puis relancez (avec l'une de ces versions installée)."
    }
}

Write-Host "Installation des paquets Python dans .venv (pip install -e $target)..."
$network = "sans accès à l'index des paquets (PyPI) : poste hors ligne, ou proxy à déclarer (voir « Windows » dans README.md)"
$env:PIP_DISABLE_PIP_VERSION_CHECK = '1'
& $VenvPython -m pip install -q --upgrade pip
Assert-Success "la mise à jour de pip a échoué, peut-être $network"

& $VenvPython -m pip install -q -e $target
Assert-Success "l'installation des paquets Python (pip install -e $target) a échoué, peut-être $network"

& $VenvPython -c 'import app, sqlalchemy, PySide6'
Assert-Success "l'installation est incomplète : app, sqlalchemy ou PySide6 ne se chargent pas"

Set-Content -LiteralPath $Stamp -Value @($pyprojectHash, $extras) -Encoding ASCII
