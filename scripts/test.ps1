# Installs what is needed, then runs the linters, the type checker and the test suite on Windows 10/11: the
# counterpart of .ci/run (whose PostgreSQL runs only when a server is given, see below). The tests run with
# Python's warning on text files opened without an encoding turned into an error: Windows' default encoding is
# not UTF-8, so a missing encoding="utf-8" shows here.
# Usage:  powershell -ExecutionPolicy Bypass -File scripts\test.ps1
#   $env:GUICHET_TEST_PG_URL = 'postgresql+psycopg://postgres@127.0.0.1:5432/postgres' to run them on PostgreSQL too.

$ErrorActionPreference = 'Stop'
Set-Location (Split-Path -Parent $PSScriptRoot)

function Assert-Success([string]$What) {
    if ($LASTEXITCODE -ne 0) {
        [Console]::Error.WriteLine("Erreur : $What a échoué (code de sortie $LASTEXITCODE).")
        exit 1
    }
}

$env:QT_QPA_PLATFORM = 'offscreen'
$env:PYTHONWARNDEFAULTENCODING = '1'
# The child processes (the command line under test) warn too; not for the dependencies that open a file whose
# reading no locale changes (the list of scripts/windows_like.sh, checked by tests/test_cp1252_locale.py): their
# warning would be one more line in the errors the tests read.
$env:PYTHONWARNINGS = 'ignore::EncodingWarning:pyuca.collator,ignore::EncodingWarning:pypdfium2_raw.version,' +
    'ignore::EncodingWarning:openpyxl.worksheet._writer'
$env:PIP_DISABLE_PIP_VERSION_CHECK = '1'

& (Join-Path $PSScriptRoot 'setup.ps1') -Dev
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }

$python = Join-Path (Get-Location) '.venv\Scripts\python.exe'
$ruff = Join-Path (Get-Location) '.venv\Scripts\ruff.exe'

& $ruff check .
Assert-Success 'ruff check'
& $ruff format --check .
Assert-Success 'ruff format --check'
& $python -m mypy
Assert-Success 'mypy'

# pytest exits 5 when no test was collected: a failure here too. The tests marked posix_only (bash, /proc,
# chattr, POSIX permissions and signals...) are skipped here with their reason (tests/conftest.py).
$pytest = @('-X', 'warn_default_encoding', '-W', 'error::EncodingWarning', '-m', 'pytest', '-p', 'no:cacheprovider')
Write-Host '=== tests sur SQLite ==='
& $python @pytest --backend sqlite
Assert-Success 'les tests sur SQLite'
if ($env:GUICHET_TEST_PG_URL) {
    Write-Host '=== tests sur PostgreSQL ==='
    & $python @pytest --backend postgresql
    Assert-Success 'les tests sur PostgreSQL'
}
Write-Host 'Tous les contrôles sont passés.'
