# Builds the Windows installer of Guichet Enfance, on Windows 10/11: the counterpart of scripts/package.sh.
#   1. the one-folder program with PyInstaller (build.spec): dist\guichet-enfance\, with guichet-enfance.exe
#      (windowed) and guichet-enfance-cli.exe (console);
#   2. its self-test (temporary database migrated, main window built offscreen, "OK") and its version;
#   3. the installer with Inno Setup 6 (installer\guichet.iss): dist\installer\GuichetEnfance-<version>-setup.exe.
# Usage:  powershell -ExecutionPolicy Bypass -File scripts\package.ps1
# Needs Inno Setup 6 (winget install JRSoftware.InnoSetup, or https://jrsoftware.org/isdl.php).

$ErrorActionPreference = 'Stop'
Set-Location (Split-Path -Parent $PSScriptRoot)
$Root = (Get-Location).Path
$MaxMb = 150  # issue #18's budget, enforced on Linux by scripts/package.sh; reported here

function Stop-Package([string]$Message) {
    [Console]::Error.WriteLine("Erreur : $Message")
    exit 1
}

function Assert-Success([string]$What) {
    if ($LASTEXITCODE -ne 0) { Stop-Package "$What a échoué (code de sortie $LASTEXITCODE)." }
}

& (Join-Path $PSScriptRoot 'setup.ps1')
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }

$python = Join-Path $Root '.venv\Scripts\python.exe'
& $python -m pip install -q -e '.[package]'
Assert-Success "l'installation de PyInstaller (pip install -e .[package])"

# --- 1. PyInstaller ---------------------------------------------------------------------------------------------
foreach ($folder in @('build\build', 'dist\guichet-enfance')) {
    if (Test-Path $folder) { Remove-Item -Recurse -Force $folder }
}
& (Join-Path $Root '.venv\Scripts\pyinstaller.exe') --noconfirm --log-level ERROR build.spec
Assert-Success 'la construction par PyInstaller (build.spec)'

# --- 2. self-test: the console program, then the windowed one (no console: only its exit code) -----------------
$program = Join-Path $Root 'dist\guichet-enfance'
$cli = Join-Path $program 'guichet-enfance-cli.exe'
$gui = Join-Path $program 'guichet-enfance.exe'
foreach ($exe in @($cli, $gui)) {
    if (-not (Test-Path $exe)) { Stop-Package "$exe est absent après la construction." }
}
$env:QT_QPA_PLATFORM = 'offscreen'
& $cli --selftest
Assert-Success "l'autotest du programme empaqueté (guichet-enfance-cli.exe --selftest)"
$shown = & $cli --version
Assert-Success 'guichet-enfance-cli.exe --version'
if ([string]$shown -notmatch '^Guichet Enfance ') {
    Stop-Package "guichet-enfance-cli.exe --version affiche « $shown » au lieu de « Guichet Enfance <version> »."
}
$windowed = Start-Process -FilePath $gui -ArgumentList '--selftest' -PassThru
$null = $windowed.Handle  # keeps the process handle, so that ExitCode is known once it has ended
if (-not $windowed.WaitForExit(180000)) {
    $windowed.Kill()
    Stop-Package "l'autotest de guichet-enfance.exe ne s'est pas terminé en 3 minutes."
}
if ($windowed.ExitCode -ne 0) {
    Stop-Package "l'autotest de guichet-enfance.exe a échoué (code de sortie $($windowed.ExitCode))."
}
Remove-Item Env:QT_QPA_PLATFORM

$bytes = (Get-ChildItem -Path $program -Recurse -File | Measure-Object -Property Length -Sum).Sum
$sizeMb = [math]::Ceiling($bytes / 1e6)  # megabytes (10^6 bytes), as package.sh and the benchmark
Write-Host "Programme construit : dist\guichet-enfance\ ($sizeMb Mo, limite $MaxMb Mo) ; $shown"
if ($sizeMb -gt $MaxMb) {
    Write-Warning "le programme empaqueté pèse $sizeMb Mo, plus que la limite de $MaxMb Mo (issue #18)."
}

# --- 3. Inno Setup ----------------------------------------------------------------------------------------------
$match = Select-String -Path 'pyproject.toml' -Pattern '^version\s*=\s*"([^"]+)"' | Select-Object -First 1
if (-not $match) { Stop-Package 'la version est introuvable dans pyproject.toml.' }
$version = $match.Matches[0].Groups[1].Value

$iscc = $null
$command = Get-Command iscc -ErrorAction SilentlyContinue
if ($command) {
    $iscc = $command.Source
} else {
    $places = @()
    if (${env:ProgramFiles(x86)}) { $places += Join-Path ${env:ProgramFiles(x86)} 'Inno Setup 6\ISCC.exe' }
    if ($env:ProgramFiles) { $places += Join-Path $env:ProgramFiles 'Inno Setup 6\ISCC.exe' }
    if ($env:LOCALAPPDATA) { $places += Join-Path $env:LOCALAPPDATA 'Programs\Inno Setup 6\ISCC.exe' }
    foreach ($place in $places) {
        if (Test-Path $place) { $iscc = $place; break }
    }
}
if (-not $iscc) {
    Stop-Package ("le compilateur d'Inno Setup 6 (ISCC.exe) est introuvable. Installez Inno Setup 6 : " +
        "« winget install JRSoftware.InnoSetup », ou depuis https://jrsoftware.org/isdl.php, puis relancez.")
}

& $iscc /Q "/DAppVersion=$version" (Join-Path $Root 'installer\guichet.iss')
Assert-Success "la compilation de l'installateur (Inno Setup, installer\guichet.iss)"
$installer = Join-Path $Root "dist\installer\GuichetEnfance-$version-setup.exe"
if (-not (Test-Path $installer)) { Stop-Package "l'installateur attendu $installer est absent." }
Write-Host "Installateur : dist\installer\GuichetEnfance-$version-setup.exe"
