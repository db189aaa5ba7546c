; Inno Setup script: installs the one-folder bundle (dist\videoseg-desktop) and associates .vseg
; files with the app, so double-clicking project.vseg opens it. Build on Windows after
; packaging\build_bundle.sh (or pyinstaller packaging\videoseg-desktop.spec) with:
;   iscc packaging\windows\videoseg-desktop.iss
#define AppVersion "0.1.0"

[Setup]
AppId={{6C1D2A57-7E0B-4F0C-9C1E-5A9B2D0F3E11}
AppName=VideoSeg Desktop
AppVersion={#AppVersion}
DefaultDirName={autopf}\VideoSeg Desktop
DefaultGroupName=VideoSeg Desktop
OutputBaseFilename=VideoSeg-Desktop-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\videoseg-desktop.ico
ChangesAssociations=yes
PrivilegesRequiredOverridesAllowed=dialog
Compression=lzma2
SolidCompression=yes

[Files]
Source: "..\..\dist\videoseg-desktop\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs

[Icons]
Name: "{group}\VideoSeg Desktop"; Filename: "{app}\videoseg-desktop.exe"
Name: "{autodesktop}\VideoSeg Desktop"; Filename: "{app}\videoseg-desktop.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Registry]
; .vseg -> VideoSeg.Project -> "videoseg-desktop.exe" "%1"
Root: HKA; Subkey: "Software\Classes\.vseg"; ValueType: string; ValueName: ""; ValueData: "VideoSeg.Project"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\VideoSeg.Project"; ValueType: string; ValueName: ""; ValueData: "VideoSeg Desktop project"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\VideoSeg.Project\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\videoseg-desktop.exe,0"
Root: HKA; Subkey: "Software\Classes\VideoSeg.Project\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\videoseg-desktop.exe"" ""%1"""

[Run]
Filename: "{app}\videoseg-desktop.exe"; Description: "Start VideoSeg Desktop"; Flags: nowait postinstall skipifsilent
