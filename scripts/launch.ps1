# Installs what is needed, then launches Guichet Enfance, on Windows 10/11: the counterpart of scripts/launch.sh.
# With no --db, the first start asks where the data lives (the demonstration database among the choices). Extra
# arguments go to `python -m app`, e.g.:  powershell -ExecutionPolicy Bypass -File scripts\launch.ps1 --db URL
# Data: %LOCALAPPDATA%\GuichetEnfance (logs in its Logs folder); settings: %APPDATA%\GuichetEnfance.

$ErrorActionPreference = 'Stop'
Set-Location (Split-Path -Parent $PSScriptRoot)

& (Join-Path $PSScriptRoot 'setup.ps1')
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }

& (Join-Path (Get-Location) '.venv\Scripts\python.exe') -m app @args
exit $LASTEXITCODE
