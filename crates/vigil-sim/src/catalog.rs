//! What people's machines run and talk to: web destinations and executables.

use crate::util::ip;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SiteKind {
    Common,
    Engineering,
    Sales,
    Marketing,
    Finance,
    Personal,
    Exfil,
}

pub(crate) struct Site<'a> {
    pub host: &'a str,
    pub cname: Option<&'a str>,
    pub ip: u32,
    pub port: u16,
    /// Median bytes up / down for a visit.
    pub up: u64,
    pub down: u64,
    pub ttl: u32,
    pub kind: SiteKind,
    pub weight: u32,
}

const fn site(
    host: &'static str,
    cname: Option<&'static str>,
    ip: u32,
    up: u64,
    down: u64,
    ttl: u32,
    kind: SiteKind,
    weight: u32,
) -> Site<'static> {
    Site { host, cname, ip, port: 443, up, down, ttl, kind, weight }
}

use SiteKind::*;

pub(crate) static SITES: &[Site<'static>] = &[
    site("login.microsoftonline.com", None, ip(20, 190, 151, 7), 6_000, 18_000, 300, Common, 10),
    site(
        "outlook.office365.com",
        Some("outlook.ha.office365.com"),
        ip(52, 96, 165, 18),
        40_000,
        260_000,
        60,
        Common,
        14,
    ),
    site(
        "example.sharepoint.com",
        Some("2907-ipv4v6.farm.dprodmgd105.aa-rt.sharepoint.com"),
        ip(13, 107, 136, 10),
        90_000,
        900_000,
        60,
        Common,
        8,
    ),
    site(
        "teams.microsoft.com",
        Some("teams-office-com.s-0005.dc-msedge.net"),
        ip(52, 113, 194, 132),
        60_000,
        300_000,
        300,
        Common,
        10,
    ),
    site("example.okta.com", Some("ok12-crtrs.tng.okta.com"), ip(44, 241, 106, 22), 5_000, 40_000, 60, Common, 6),
    site("slack.com", None, ip(3, 94, 220, 100), 12_000, 120_000, 60, Common, 10),
    site("wss-primary.slack.com", None, ip(3, 94, 211, 41), 30_000, 80_000, 60, Common, 4),
    site("zoom.us", None, ip(170, 114, 52, 2), 20_000, 100_000, 300, Common, 5),
    site("www.google.com", None, ip(142, 250, 72, 196), 4_000, 60_000, 300, Common, 10),
    site("www.linkedin.com", None, ip(13, 107, 42, 14), 8_000, 400_000, 300, Common, 4),
    site("www.nytimes.com", Some("nytimes.map.fastly.net"), ip(151, 101, 1, 164), 6_000, 1_200_000, 60, Common, 3),
    site(
        "www.bing.com",
        Some("www-bing-com.dual-a-0001.a-msedge.net"),
        ip(13, 107, 21, 200),
        3_000,
        80_000,
        300,
        Common,
        3,
    ),
    site(
        "ctldl.windowsupdate.com",
        Some("wu-b-net.trafficmanager.net"),
        ip(13, 107, 4, 50),
        2_000,
        500_000,
        3600,
        Common,
        2,
    ),
    site("github.com", None, ip(140, 82, 112, 3), 20_000, 300_000, 60, Engineering, 10),
    site("api.github.com", None, ip(140, 82, 112, 6), 6_000, 60_000, 60, Engineering, 6),
    site("registry.npmjs.org", None, ip(104, 16, 2, 35), 4_000, 2_000_000, 300, Engineering, 4),
    site(
        "pypi.org",
        Some("dualstack.python.map.fastly.net"),
        ip(151, 101, 0, 223),
        4_000,
        900_000,
        300,
        Engineering,
        3,
    ),
    site("stackoverflow.com", None, ip(104, 18, 32, 7), 5_000, 300_000, 300, Engineering, 5),
    site(
        "console.aws.amazon.com",
        Some("us-east-1.console.aws.amazon.com"),
        ip(54, 239, 31, 84),
        10_000,
        500_000,
        60,
        Engineering,
        4,
    ),
    site("registry-1.docker.io", None, ip(54, 196, 99, 49), 8_000, 20_000_000, 60, Engineering, 2),
    site(
        "example.my.salesforce.com",
        Some("example.my.sfdc-yzvdd4.salesforce.com"),
        ip(13, 110, 48, 11),
        30_000,
        700_000,
        60,
        Sales,
        12,
    ),
    site("app.gong.io", None, ip(34, 120, 14, 77), 10_000, 300_000, 60, Sales, 3),
    site("www.canva.com", None, ip(104, 16, 103, 112), 30_000, 1_500_000, 300, Marketing, 5),
    site("app.hubspot.com", None, ip(104, 16, 118, 116), 20_000, 600_000, 300, Marketing, 6),
    site("www.dropbox.com", None, ip(162, 125, 1, 18), 6_000, 4_000_000, 60, Marketing, 2),
    site("wd5.myworkday.com", None, ip(198, 187, 156, 40), 10_000, 300_000, 300, Finance, 8),
    site("www.xe.com", None, ip(104, 18, 26, 33), 3_000, 200_000, 300, Finance, 2),
    site("drive.google.com", None, ip(142, 250, 64, 110), 5_000, 200_000, 300, Personal, 2),
    site(
        "www.youtube.com",
        Some("youtube-ui.l.google.com"),
        ip(142, 250, 65, 206),
        10_000,
        8_000_000,
        300,
        Personal,
        3,
    ),
    site(
        "www.amazon.com",
        Some("tp.47cf2c8c9-frontier.amazon.com"),
        ip(52, 94, 236, 248),
        8_000,
        900_000,
        60,
        Personal,
        2,
    ),
    site("mega.nz", None, ip(31, 216, 144, 5), 4_000, 60_000, 300, Exfil, 0),
    site("g.api.mega.co.nz", None, ip(89, 44, 169, 135), 4_000, 20_000, 300, Exfil, 0),
    site("gfs270n301.userstorage.mega.co.nz", None, ip(66, 203, 125, 13), 200_000_000, 30_000, 300, Exfil, 0),
    site("content.dropboxapi.com", None, ip(162, 125, 2, 14), 200_000_000, 30_000, 60, Exfil, 0),
    site("www.googleapis.com", None, ip(142, 250, 65, 74), 200_000_000, 30_000, 300, Exfil, 0),
];

pub(crate) fn site_by_host(host: &str) -> &'static Site<'static> {
    SITES.iter().find(|s| s.host == host).unwrap_or(&SITES[0])
}

/// Sites someone from a department visits, with weights.
pub(crate) fn sites_for(kinds: &[SiteKind]) -> Vec<(usize, u32)> {
    SITES
        .iter()
        .enumerate()
        .filter(|(_, s)| kinds.contains(&s.kind) && s.weight > 0)
        .map(|(i, s)| (i, s.weight))
        .collect()
}

pub(crate) struct Exe {
    pub path: &'static str,
    pub desc: &'static str,
    pub product: &'static str,
    pub company: &'static str,
    pub orig: &'static str,
    pub ver: &'static str,
    /// Command line; `{user}` is the account name, `{path}` the quoted image path.
    pub cmd: &'static str,
}

const fn exe(
    path: &'static str,
    desc: &'static str,
    product: &'static str,
    company: &'static str,
    orig: &'static str,
    ver: &'static str,
    cmd: &'static str,
) -> Exe {
    Exe { path, desc, product, company, orig, ver, cmd }
}

const MS: &str = "Microsoft Corporation";
const WIN: &str = "Microsoft® Windows® Operating System";
const WINVER: &str = "10.0.22621.3672 (WinBuild.160101.0800)";

pub(crate) const EXPLORER: usize = 0;
pub(crate) const CHROME: usize = 1;
pub(crate) const EDGE: usize = 2;
pub(crate) const OUTLOOK: usize = 3;
pub(crate) const TEAMS: usize = 4;
pub(crate) const ONEDRIVE: usize = 5;
pub(crate) const EXCEL: usize = 6;
pub(crate) const WORD: usize = 7;
pub(crate) const SLACK: usize = 8;
pub(crate) const ZOOM: usize = 9;
pub(crate) const CODE: usize = 10;
pub(crate) const GIT: usize = 11;
pub(crate) const POWERSHELL: usize = 12;
pub(crate) const CMD: usize = 13;
pub(crate) const PYTHON: usize = 14;
pub(crate) const NOTEPAD: usize = 15;
pub(crate) const ACROBAT: usize = 16;
pub(crate) const SEVENZIP: usize = 17;
pub(crate) const MSIEXEC: usize = 18;
pub(crate) const CHOCO: usize = 19;
pub(crate) const USERINIT: usize = 20;
pub(crate) const VSSADMIN: usize = 21;
pub(crate) const WMIC: usize = 22;
pub(crate) const BCDEDIT: usize = 23;
pub(crate) const WMIPRVSE: usize = 24;
pub(crate) const PSEXESVC: usize = 25;
pub(crate) const SERVICES: usize = 26;
pub(crate) const VEEAM: usize = 27;
pub(crate) const MSTSC: usize = 28;
pub(crate) const POWERPNT: usize = 30;
pub(crate) const WINWORD_DOCM: usize = 31;
pub(crate) const RCLONE: usize = 32;
pub(crate) const TASKMGR: usize = 33;
pub(crate) const NET: usize = 34;
pub(crate) const WHOAMI: usize = 35;

pub(crate) static EXES: &[Exe] = &[
    exe("C:\\Windows\\explorer.exe", "Windows Explorer", WIN, MS, "EXPLORER.EXE", WINVER, "C:\\Windows\\Explorer.EXE"),
    exe(
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        "Google Chrome",
        "Google Chrome",
        "Google LLC",
        "chrome.exe",
        "129.0.6668.90",
        "{path}",
    ),
    exe(
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        "Microsoft Edge",
        "Microsoft Edge",
        MS,
        "msedge.exe",
        "129.0.2792.79",
        "{path} --profile-directory=Default",
    ),
    exe(
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        "Microsoft Outlook",
        "Microsoft Outlook",
        MS,
        "Outlook.exe",
        "16.0.17928.20156",
        "{path}",
    ),
    exe(
        "C:\\Program Files\\WindowsApps\\MSTeams_24243.1309.3132.617_x64__8wekyb3d8bbwe\\ms-teams.exe",
        "Microsoft Teams",
        "Microsoft Teams",
        MS,
        "ms-teams.exe",
        "24243.1309.3132.617",
        "{path} --system-initiated",
    ),
    exe(
        "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe",
        "Microsoft OneDrive",
        "Microsoft OneDrive",
        MS,
        "OneDrive.exe",
        "24.186.0915.0001",
        "{path} /background",
    ),
    exe(
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
        "Microsoft Excel",
        "Microsoft Office",
        MS,
        "Excel.exe",
        "16.0.17928.20156",
        "{path} \"C:\\Users\\{user}\\Documents\\{doc}.xlsx\"",
    ),
    exe(
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "Microsoft Word",
        "Microsoft Office",
        MS,
        "WinWord.exe",
        "16.0.17928.20156",
        "{path} /n \"C:\\Users\\{user}\\Documents\\{doc}.docx\"",
    ),
    exe(
        "C:\\Users\\{user}\\AppData\\Local\\slack\\app-4.40.128\\slack.exe",
        "Slack",
        "Slack",
        "Slack Technologies Inc.",
        "slack.exe",
        "4.40.128",
        "{path} --process-start-args --startup",
    ),
    exe(
        "C:\\Users\\{user}\\AppData\\Roaming\\Zoom\\bin\\Zoom.exe",
        "Zoom Meetings",
        "Zoom Meetings",
        "Zoom Video Communications, Inc.",
        "Zoom.exe",
        "6.2.3.46223",
        "{path} \"--url=zoommtg://zoom.us/join?confno={num}\"",
    ),
    exe(
        "C:\\Users\\{user}\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe",
        "Visual Studio Code",
        "Visual Studio Code",
        MS,
        "electron.exe",
        "1.93.1",
        "{path}",
    ),
    exe(
        "C:\\Program Files\\Git\\cmd\\git.exe",
        "Git for Windows",
        "Git",
        "The Git Development Community",
        "git.exe",
        "2.46.0.windows.1",
        "git pull --rebase origin main",
    ),
    exe(
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "Windows PowerShell",
        WIN,
        MS,
        "PowerShell.EXE",
        "10.0.22621.3672",
        "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" ",
    ),
    exe(
        "C:\\Windows\\System32\\cmd.exe",
        "Windows Command Processor",
        WIN,
        MS,
        "Cmd.Exe",
        WINVER,
        "\"C:\\Windows\\system32\\cmd.exe\" ",
    ),
    exe(
        "C:\\Users\\{user}\\AppData\\Local\\Programs\\Python\\Python312\\python.exe",
        "Python",
        "Python",
        "Python Software Foundation",
        "python.exe",
        "3.12.6",
        "python scripts\\etl.py --since yesterday",
    ),
    exe(
        "C:\\Windows\\System32\\notepad.exe",
        "Notepad",
        WIN,
        MS,
        "NOTEPAD.EXE",
        WINVER,
        "\"C:\\Windows\\system32\\NOTEPAD.EXE\" C:\\Users\\{user}\\Desktop\\notes.txt",
    ),
    exe(
        "C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe",
        "Adobe Acrobat",
        "Adobe Acrobat",
        "Adobe Systems Incorporated",
        "Acrobat.exe",
        "24.3.20112.0",
        "{path} \"C:\\Users\\{user}\\Downloads\\{doc}.pdf\"",
    ),
    exe(
        "C:\\Program Files\\7-Zip\\7zFM.exe",
        "7-Zip File Manager",
        "7-Zip",
        "Igor Pavlov",
        "7zFM.exe",
        "24.08",
        "{path} \"C:\\Users\\{user}\\Downloads\\{doc}.zip\"",
    ),
    exe(
        "C:\\Windows\\System32\\msiexec.exe",
        "Windows® installer",
        WIN,
        MS,
        "msiexec.exe",
        "5.0.22621.3672",
        "\"C:\\Windows\\System32\\msiexec.exe\" /i \"C:\\Users\\{user}\\Downloads\\{doc}.msi\" /qn",
    ),
    exe(
        "C:\\ProgramData\\chocolatey\\choco.exe",
        "Chocolatey",
        "Chocolatey",
        "Chocolatey Software, Inc.",
        "choco.exe",
        "2.3.0.0",
        "choco upgrade {doc} -y",
    ),
    exe(
        "C:\\Windows\\System32\\userinit.exe",
        "Userinit Logon Application",
        WIN,
        MS,
        "USERINIT.EXE",
        WINVER,
        "C:\\Windows\\system32\\userinit.exe",
    ),
    exe(
        "C:\\Windows\\System32\\vssadmin.exe",
        "Command Line Interface for Microsoft® Volume Shadow Copy Service ",
        WIN,
        MS,
        "VSSADMIN.EXE",
        WINVER,
        "vssadmin.exe",
    ),
    exe("C:\\Windows\\System32\\wbem\\WMIC.exe", "WMI Commandline Utility", WIN, MS, "wmic.exe", WINVER, "wmic"),
    exe(
        "C:\\Windows\\System32\\bcdedit.exe",
        "Boot Configuration Data Editor",
        WIN,
        MS,
        "bcdedit.exe",
        WINVER,
        "bcdedit",
    ),
    exe(
        "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        "WMI Provider Host",
        WIN,
        MS,
        "Wmiprvse.exe",
        WINVER,
        "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
    ),
    exe(
        "C:\\Windows\\PSEXESVC.exe",
        "PsExec Service",
        "Sysinternals PsExec",
        "Sysinternals - www.sysinternals.com",
        "psexesvc.exe",
        "2.43",
        "C:\\Windows\\PSEXESVC.exe",
    ),
    exe(
        "C:\\Windows\\System32\\services.exe",
        "Services and Controller app",
        WIN,
        MS,
        "services.exe",
        WINVER,
        "C:\\Windows\\system32\\services.exe",
    ),
    exe(
        "C:\\Program Files\\Veeam\\Backup and Replication\\Backup\\VeeamAgent.exe",
        "Veeam Agent",
        "Veeam Backup & Replication",
        "Veeam Software Group GmbH",
        "VeeamAgent.exe",
        "12.1.2.172",
        "\"C:\\Program Files\\Veeam\\Backup and Replication\\Backup\\VeeamAgent.exe\" -l",
    ),
    exe(
        "C:\\Windows\\System32\\mstsc.exe",
        "Remote Desktop Connection",
        WIN,
        MS,
        "mstsc.exe",
        WINVER,
        "\"C:\\Windows\\system32\\mstsc.exe\" /v:SRV-JUMP01",
    ),
    exe(
        "C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe",
        "SQL Server Windows NT - 64 Bit",
        "Microsoft SQL Server",
        MS,
        "sqlservr.exe",
        "2022.160.4135.4",
        "\"C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe\" -sMSSQLSERVER",
    ),
    exe(
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\POWERPNT.EXE",
        "Microsoft PowerPoint",
        "Microsoft Office",
        MS,
        "PowerPnt.exe",
        "16.0.17928.20156",
        "{path} \"C:\\Users\\{user}\\Documents\\{doc}.pptx\"",
    ),
    exe(
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "Microsoft Word",
        "Microsoft Office",
        MS,
        "WinWord.exe",
        "16.0.17928.20156",
        "{path} /n \"C:\\Users\\{user}\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\Q7ZK2M1P\\{doc}.docm\"",
    ),
    exe(
        "C:\\Users\\{user}\\Downloads\\rclone-v1.68.1-windows-amd64\\rclone.exe",
        "Rsync for cloud storage",
        "Rclone",
        "https://rclone.org",
        "rclone.exe",
        "1.68.1",
        "rclone",
    ),
    exe(
        "C:\\Windows\\System32\\Taskmgr.exe",
        "Task Manager",
        WIN,
        MS,
        "Taskmgr.exe",
        WINVER,
        "\"C:\\Windows\\system32\\taskmgr.exe\" /4",
    ),
    exe("C:\\Windows\\System32\\net.exe", "Net Command", WIN, MS, "net.exe", WINVER, "net"),
    exe(
        "C:\\Windows\\System32\\whoami.exe",
        "whoami - displays logged on user information",
        WIN,
        MS,
        "whoami.exe",
        WINVER,
        "whoami",
    ),
    exe(
        "C:\\Windows\\System32\\svchost.exe",
        "Host Process for Windows Services",
        WIN,
        MS,
        "svchost.exe",
        WINVER,
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
    ),
];

/// Documents people open (file stems).
pub(crate) static DOCS: &[&str] = &[
    "Q3 Forecast",
    "Board Deck Oct",
    "Team OKRs",
    "Customer List EMEA",
    "Invoice_88213",
    "Meeting Notes",
    "Roadmap 2027",
    "Pricing Proposal",
    "Expense Report",
    "Onboarding Checklist",
    "Architecture Review",
    "Budget FY27",
    "Contract Draft v3",
    "Campaign Results",
    "Vendor Assessment",
    "Incident Postmortem",
];

/// Software people install.
pub(crate) static INSTALLS: &[(&str, &str)] = &[
    ("ZoomInstallerFull", "Zoom"),
    ("GoogleChromeStandaloneEnterprise64", "Google\\Chrome"),
    ("AcroRdrDCx642400320112_MUI", "Adobe\\Acrobat DC"),
    ("Tableau-Desktop-64bit-2024-2-3", "Tableau\\Tableau 2024.2"),
    ("PowerBIDesktopSetup_x64", "Microsoft Power BI Desktop"),
    ("Docker Desktop Installer", "Docker\\Docker"),
    ("node-v20.17.0-x64", "nodejs"),
    ("Git-2.46.0-64-bit", "Git"),
];

pub(crate) static CHOCO_PKGS: &[&str] =
    &["googlechrome", "7zip", "notepadplusplus", "vscode", "python312", "putty", "wireshark", "git"];

/// Benign services an admin installs during maintenance: (name, image).
pub(crate) static MAINT_SERVICES: &[(&str, &str)] = &[
    (
        "Zabbix Agent 2",
        "\"C:\\Program Files\\Zabbix Agent 2\\zabbix_agent2.exe\" -c \"C:\\Program Files\\Zabbix Agent 2\\zabbix_agent2.conf\" -f=false",
    ),
    ("Veeam Installer Service", "C:\\Windows\\Veeam\\Backup\\VeeamDeploymentSvc.exe"),
    (
        "Google Updater Service",
        "\"C:\\Program Files (x86)\\Google\\GoogleUpdater\\130.0.6723.59\\updater.exe\" --system --windows-service --service=update",
    ),
    ("CrowdStrike Falcon Sensor Service", "\"C:\\Program Files\\CrowdStrike\\CSFalconService.exe\""),
    ("Microsoft Monitoring Agent", "\"C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\HealthService.exe\""),
    ("Tenable Nessus Agent", "\"C:\\Program Files\\Tenable\\Nessus Agent\\nessus-service.exe\""),
];
