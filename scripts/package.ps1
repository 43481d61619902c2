# Builds the Windows installer of Guichet Enfance, on Windows 10/11: the counterpart of scripts/package.sh.
#   1. the one-folder program with PyInstaller (build.spec): dist\guichet-enfance\, with guichet-enfance.exe
#      (windowed) and guichet-enfance-cli.exe (console), signed when a certificate is configured (below);
#   2. its self-test (temporary database migrated, main window built offscreen, "OK"), its version, and its size:
#      at most 150 MB (10^6 bytes, the files' sizes; issue #18), else the build fails;
#   3. the installer with Inno Setup 6 (installer\guichet.iss): dist\installer\GuichetEnfance-<version>-setup.exe,
#      it and its uninstaller signed as well when a certificate is configured.
# Usage:  powershell -ExecutionPolicy Bypass -File scripts\package.ps1
# Needs Inno Setup 6 (winget install JRSoftware.InnoSetup, or https://jrsoftware.org/isdl.php).
#
# Signing (Authenticode, with signtool.exe from the Windows SDK), when one of these is set:
#   $env:GUICHET_SIGN_CERT = 'C:\chemin\certificat.pfx' and $env:GUICHET_SIGN_PASSWORD = '...'  (a .pfx file), or
#   $env:GUICHET_SIGN_THUMBPRINT = '<SHA-1 thumbprint>'  (a certificate in the user's store, a token's included);
#   $env:GUICHET_SIGN_TIMESTAMP: the RFC 3161 timestamp server (default below), so that signatures outlive the
#   certificate; $env:GUICHET_SIGNTOOL: signtool.exe's path if it is neither on PATH nor in the Windows SDK.
# With none, the programs are left unsigned and the log says so. Inno Setup signs the installer and its uninstaller
# through this same script (-SignFile, the sign tool given to ISCC.exe), so the password never goes on its command
# line.
param([string]$SignFile)
$ErrorActionPreference = 'Stop'
Set-Location (Split-Path -Parent $PSScriptRoot)
$Root = (Get-Location).Path
$MaxMb = 150  # issue #18's budget, as scripts/package.sh
$DefaultTimestamp = 'http://timestamp.digicert.com'

function Stop-Package([string]$Message) {
    [Console]::Error.WriteLine("Erreur : $Message")
    if ($env:GITHUB_ACTIONS -eq 'true') { Write-Host "::error::$Message" }  # shown on the workflow's run page
    exit 1
}

function Assert-Success([string]$What) {
    if ($LASTEXITCODE -ne 0) { Stop-Package "$What a échoué (code de sortie $LASTEXITCODE)." }
}

# --- signing ----------------------------------------------------------------------------------------------------
function Test-Signing {
    return [bool]($env:GUICHET_SIGN_CERT -or $env:GUICHET_SIGN_THUMBPRINT)
}

function Find-SignTool {
    if ($env:GUICHET_SIGNTOOL) {
        if (Test-Path $env:GUICHET_SIGNTOOL) { return $env:GUICHET_SIGNTOOL }
        Stop-Package "GUICHET_SIGNTOOL=$env:GUICHET_SIGNTOOL n'existe pas."
    }
    $command = Get-Command signtool -ErrorAction SilentlyContinue
    if ($command) { return $command.Source }
    if (${env:ProgramFiles(x86)}) {
        $kits = Join-Path ${env:ProgramFiles(x86)} 'Windows Kits\10\bin'
        $found = Get-ChildItem -Path $kits -Filter signtool.exe -Recurse -ErrorAction SilentlyContinue |
            Where-Object { $_.Directory.Name -eq 'x64' } | Sort-Object FullName -Descending | Select-Object -First 1
        if ($found) { return $found.FullName }
    }
    Stop-Package ("signtool.exe est introuvable. Installez le SDK Windows " +
        "(https://developer.microsoft.com/windows/downloads/windows-sdk/, composant « Windows SDK Signing Tools " +
        "for Desktop Apps ») ou indiquez le chemin de signtool.exe dans GUICHET_SIGNTOOL.")
}

# Signs one file with the configured certificate, SHA-256 and a timestamp.
function Invoke-Signing([string]$Path) {
    $timestamp = $DefaultTimestamp
    if ($env:GUICHET_SIGN_TIMESTAMP) { $timestamp = $env:GUICHET_SIGN_TIMESTAMP }
    $options = @('sign', '/fd', 'SHA256', '/tr', $timestamp, '/td', 'SHA256', '/d', 'Guichet Enfance')
    if ($env:GUICHET_SIGN_CERT) {
        if (-not (Test-Path $env:GUICHET_SIGN_CERT)) {
            Stop-Package "le certificat GUICHET_SIGN_CERT=$env:GUICHET_SIGN_CERT est introuvable."
        }
        $options += @('/f', $env:GUICHET_SIGN_CERT)
        if ($env:GUICHET_SIGN_PASSWORD) { $options += @('/p', $env:GUICHET_SIGN_PASSWORD) }
    } else {
        $options += @('/sha1', $env:GUICHET_SIGN_THUMBPRINT)
    }
    Write-Host "Signature de $Path"
    $signtool = Find-SignTool
    & $signtool @options $Path
    Assert-Success "la signature de $Path (signtool)"
}

# Inno Setup's sign tool: ISCC.exe calls this script with -SignFile for the installer and its uninstaller.
if ($SignFile) {
    Invoke-Signing $SignFile
    exit 0
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
if (Test-Signing) {
    foreach ($exe in @($gui, $cli)) { Invoke-Signing $exe }
} else {
    Write-Host ("Signature : aucun certificat configuré (GUICHET_SIGN_CERT ou GUICHET_SIGN_THUMBPRINT), " +
        "programmes et installateur non signés.")
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

# --- the size: megabytes of 10^6 bytes, the files' sizes, as package_size.sh and the benchmark count them ---------
$bytes = (Get-ChildItem -Path $program -Recurse -File | Measure-Object -Property Length -Sum).Sum
$sizeMb = [math]::Round($bytes / 1e6, 1)
Write-Host "Programme construit : dist\guichet-enfance\ ($sizeMb Mo, limite $MaxMb Mo) ; $shown"
if ($env:GITHUB_STEP_SUMMARY) {
    $line = "Programme empaqueté : $sizeMb Mo (limite $MaxMb Mo)"
    Add-Content -LiteralPath $env:GITHUB_STEP_SUMMARY -Value $line -Encoding UTF8
}
if ($bytes -gt $MaxMb * 1e6) {
    Write-Host 'Les plus gros :'
    Get-ChildItem -Path $program, (Join-Path $program '_internal') -ErrorAction SilentlyContinue | ForEach-Object {
        $size = $_.Length
        if ($_.PSIsContainer) {
            $size = (Get-ChildItem -Path $_.FullName -Recurse -File | Measure-Object -Property Length -Sum).Sum
        }
        [pscustomobject]@{ Mo = [math]::Round($size / 1e6, 1); Nom = $_.FullName.Substring($program.Length + 1) }
    } | Sort-Object Mo -Descending | Select-Object -First 15 | Format-Table -AutoSize | Out-String | Write-Host
    Stop-Package "le programme empaqueté pèse $sizeMb Mo, plus que la limite de $MaxMb Mo (issue #18)."
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

$isccOptions = @('/Q', "/DAppVersion=$version")
if (Test-Signing) {
    # /S names the sign tool that installer\guichet.iss uses under /DSign: this script with -SignFile; Inno Setup
    # puts $q for a quote and $f for the quoted file's name.
    $shell = (Get-Process -Id $PID).Path
    $isccOptions += @('/DSign', ('/Sguichet=$q' + $shell + '$q -NoProfile -ExecutionPolicy Bypass -File $q' +
            (Join-Path $PSScriptRoot 'package.ps1') + '$q -SignFile $f'))
}
& $iscc @isccOptions (Join-Path $Root 'installer\guichet.iss')
Assert-Success "la compilation de l'installateur (Inno Setup, installer\guichet.iss)"
$installer = Join-Path $Root "dist\installer\GuichetEnfance-$version-setup.exe"
if (-not (Test-Path $installer)) { Stop-Package "l'installateur attendu $installer est absent." }
Write-Host "Installateur : dist\installer\GuichetEnfance-$version-setup.exe"
