; Inno Setup 6 script: the Windows installer of Guichet Enfance (issue #19), for Windows 10/11 x64.
; Built by scripts\package.ps1 after PyInstaller (build.spec) has made dist\guichet-enfance\:
;   ISCC.exe /DAppVersion=X.Y.Z installer\guichet.iss   ->   dist\installer\GuichetEnfance-X.Y.Z-setup.exe
;
; Per user by default, without administrator rights (into %LOCALAPPDATA%\Programs\Guichet Enfance); the first page
; offers "for all users" instead (Program Files, asks for an administrator), as does /ALLUSERS on the command line.
; A silent install for a town's IT department: GuichetEnfance-X.Y.Z-setup.exe /VERYSILENT /ALLUSERS
;
; The data is not the program's: each user's database, backups and logs live in %LOCALAPPDATA%\GuichetEnfance and
; the settings in %APPDATA%\GuichetEnfance (platformdirs, QSettings). Neither installing, upgrading nor
; uninstalling touches them.
;
; This file is UTF-8 with a byte order mark: Inno Setup reads it as ANSI otherwise, and the French text would be
; garbled.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Guichet Enfance"
#define AppExeName "guichet-enfance.exe"

[Setup]
; AppId identifies the program across versions (upgrades, uninstall): never change it.
AppId={{685B74E2-616E-4EE2-8DAA-75AA7E2118AB}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
WizardStyle=modern
ShowLanguageDialog=no
SetupIconFile=..\resources\icon.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
OutputDir=..\dist\installer
OutputBaseFilename=GuichetEnfance-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
#ifdef Sign
; scripts\package.ps1 passes /DSign and the sign tool "guichet" (/S) when a certificate is configured: the installer
; and the uninstaller it writes are signed too.
SignTool=guichet
SignedUninstaller=yes
#endif

[Languages]
Name: "french"; MessagesFile: "compiler:Languages\French.isl"

[CustomMessages]
french.LaunchApp=Lancer Guichet Enfance
french.DataKept=Guichet Enfance est désinstallé. Les données sont conservées : bases, sauvegardes et journaux dans %1, réglages dans %2. Supprimez ces dossiers vous-même pour les effacer.

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the previous version's program files whole (PyInstaller's folder changes between versions);
; only the program's folder: the data lives elsewhere.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "..\dist\guichet-enfance\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExeName}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchApp}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] entry for {localappdata}\GuichetEnfance nor {userappdata}\GuichetEnfance, on purpose: the
; database, its backups, the logs and the settings are the town's records and must survive an uninstall. The
; uninstaller only says where they stay.
[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent() then
    MsgBox(FmtMessage(CustomMessage('DataKept'), [ExpandConstant('{localappdata}\GuichetEnfance'),
      ExpandConstant('{userappdata}\GuichetEnfance')]), mbInformation, MB_OK);
end;
