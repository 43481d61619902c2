# Installs what is needed, then launches Guichet Enfance, on Windows 10/11: the counterpart of scripts/launch.sh.
# With no --db, the first start asks where the data lives (the demonstration database among the choices). Extra
# arguments go to `python -m app`, e.g.:  powershell -ExecutionPolicy Bypass -File scripts\launch.ps1 --db URL
# Data: %LOCALAPPDATA%\GuichetEnfance (logs in its Logs folder); settings: %APPDATA%\GuichetEnfance.
# setup.ps1 asks the package index only when something is to install (first start, pyproject.toml changed): an
# office offline or behind a proxy starts with what is installed. If that install fails while a previous one
# loads, the program starts with the previous one, and the next start tries again.

$ErrorActionPreference = 'Stop'
Set-Location (Split-Path -Parent $PSScriptRoot)
$python = Join-Path (Get-Location) '.venv\Scripts\python.exe'

try {
    & (Join-Path $PSScriptRoot 'setup.ps1')
    $setupCode = $LASTEXITCODE
} catch {
    [Console]::Error.WriteLine("Erreur : $($_.Exception.Message)")
    $setupCode = 1
}
if ($setupCode -ne 0) {
    if (-not (Test-Path $python)) { exit $setupCode }
    $ErrorActionPreference = 'Continue'
    $null = & $python -c 'import app, sqlalchemy, PySide6'
    if ($LASTEXITCODE -ne 0) {
        [Console]::Error.WriteLine("L'installation a échoué et aucune installation précédente n'est utilisable : Guichet Enfance ne peut pas démarrer.")
        exit $setupCode
    }
    $ErrorActionPreference = 'Stop'
    [Console]::Error.WriteLine("Attention : l'installation des paquets Python a échoué (voir ci-dessus) ; Guichet Enfance démarre avec l'installation précédente. Elle sera retentée au prochain démarrage.")
}

& $python -m app @args
exit $LASTEXITCODE
