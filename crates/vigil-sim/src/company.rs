//! The simulated company: people, machines, AWS accounts, Okta apps and groups, vendors.
//!
//! Generated once from the seed; everything else (background activity, attacks, the inventory
//! file) reads it. It is the state at the start of the simulated period.

use crate::geo::{self, CITIES, HOME_CITIES, Net};
use crate::json::{J, obj};
use crate::util::{
    DAY, R, akia, aws_uid, b62, between, chance, hash_str, ip, ip_str, normal, pick, shuffle, stream, upper_alnum,
    uuid, weighted,
};

pub(crate) const EMAIL_DOMAIN: &str = "example.com";
pub(crate) const AD_DOMAIN: &str = "CORP";
pub(crate) const AD_FQDN: &str = "corp.example.com";
pub(crate) const OKTA_HOST: &str = "example.okta.com";
pub(crate) const COMPANY: &str = "Example Corp";
pub(crate) const SLUG: &str = "example";

/// How a department uses AWS.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum AwsUse {
    None,
    Developer,
    Finance,
    Data,
    Admin,
}

pub(crate) struct Dept {
    pub name: &'static str,
    pub weight: u32,
    pub titles: &'static [&'static str],
    pub aws: AwsUse,
    pub apps: &'static [usize],
}

pub(crate) const IT: usize = 10;
pub(crate) const ENGINEERING: usize = 0;
pub(crate) const FINANCE: usize = 3;
pub(crate) const DATA: usize = 9;
pub(crate) const EXEC: usize = 11;

// Okta app indices.
pub(crate) const APP_O365: usize = 0;
pub(crate) const APP_SLACK: usize = 1;
pub(crate) const APP_ZOOM: usize = 2;
pub(crate) const APP_SALESFORCE: usize = 3;
pub(crate) const APP_ATLASSIAN: usize = 4;
pub(crate) const APP_GITHUB: usize = 5;
pub(crate) const APP_AWS: usize = 6;
pub(crate) const APP_WORKDAY: usize = 7;
pub(crate) const APP_SERVICENOW: usize = 8;
pub(crate) const APP_OKTA_ADMIN: usize = 9;
pub(crate) const APP_TABLEAU: usize = 10;
pub(crate) const APP_PAYFLOW: usize = 11;
pub(crate) const APP_BRIGHTREACH: usize = 12;
pub(crate) const APP_SUMMIT: usize = 13;

pub(crate) static APPS: &[(&str, &str)] = &[
    ("Microsoft Office 365", "office365"),
    ("Slack", "slack"),
    ("Zoom", "zoomus"),
    ("Salesforce.com", "salesforce"),
    ("Atlassian Cloud", "atlassian"),
    ("GitHub Enterprise Cloud - Organization", "githubcloud"),
    ("AWS Account Federation", "amazon_aws"),
    ("Workday", "workday"),
    ("ServiceNow", "servicenow_app2"),
    ("Okta Admin Console", "saasure"),
    ("Tableau Cloud", "tableauonline"),
    ("PayFlow Payroll", "payflow_saml"),
    ("BrightReach", "brightreach_saml"),
    ("Summit MSP Portal", "summit_portal"),
];

pub(crate) static DEPTS: &[Dept] = &[
    Dept {
        name: "Engineering",
        weight: 28,
        titles: &[
            "Software Engineer",
            "Senior Software Engineer",
            "Staff Engineer",
            "Site Reliability Engineer",
            "Data Engineer",
            "Engineering Manager",
        ],
        aws: AwsUse::Developer,
        apps: &[APP_O365, APP_SLACK, APP_ZOOM, APP_ATLASSIAN, APP_GITHUB, APP_AWS],
    },
    Dept {
        name: "Sales",
        weight: 14,
        titles: &["Account Executive", "Sales Development Representative", "Solutions Consultant", "Sales Manager"],
        aws: AwsUse::None,
        apps: &[APP_O365, APP_SLACK, APP_ZOOM, APP_SALESFORCE],
    },
    Dept {
        name: "Marketing",
        weight: 8,
        titles: &["Marketing Manager", "Content Strategist", "Growth Analyst", "Designer"],
        aws: AwsUse::None,
        apps: &[APP_O365, APP_SLACK, APP_ZOOM, APP_SALESFORCE, APP_BRIGHTREACH],
    },
    Dept {
        name: "Finance",
        weight: 6,
        titles: &["Financial Analyst", "Senior Accountant", "Controller", "FP&A Manager"],
        aws: AwsUse::Finance,
        apps: &[APP_O365, APP_SLACK, APP_ZOOM, APP_WORKDAY, APP_PAYFLOW, APP_AWS],
    },
    Dept {
        name: "People",
        weight: 4,
        titles: &["HR Business Partner", "Recruiter", "People Operations Specialist"],
        aws: AwsUse::None,
        apps: &[APP_O365, APP_SLACK, APP_ZOOM, APP_WORKDAY, APP_PAYFLOW],
    },
    Dept {
        name: "Customer Support",
        weight: 11,
        titles: &["Support Engineer", "Support Specialist", "Support Team Lead"],
        aws: AwsUse::None,
        apps: &[APP_O365, APP_SLACK, APP_ZOOM, APP_SALESFORCE, APP_SERVICENOW, APP_ATLASSIAN],
    },
    Dept {
        name: "Operations",
        weight: 7,
        titles: &["Operations Analyst", "Program Manager", "Procurement Specialist"],
        aws: AwsUse::None,
        apps: &[APP_O365, APP_SLACK, APP_ZOOM, APP_ATLASSIAN, APP_SERVICENOW],
    },
    Dept {
        name: "Product",
        weight: 8,
        titles: &["Product Manager", "Senior Product Manager", "Product Designer"],
        aws: AwsUse::None,
        apps: &[APP_O365, APP_SLACK, APP_ZOOM, APP_ATLASSIAN, APP_TABLEAU],
    },
    Dept {
        name: "Legal",
        weight: 2,
        titles: &["Corporate Counsel", "Paralegal"],
        aws: AwsUse::None,
        apps: &[APP_O365, APP_SLACK, APP_ZOOM],
    },
    Dept {
        name: "Data",
        weight: 6,
        titles: &["Data Analyst", "Data Scientist", "Analytics Engineer"],
        aws: AwsUse::Data,
        apps: &[APP_O365, APP_SLACK, APP_ZOOM, APP_ATLASSIAN, APP_AWS, APP_TABLEAU],
    },
    Dept {
        name: "IT",
        weight: 0,
        titles: &["IT Administrator", "Systems Engineer", "Security Engineer", "Cloud Administrator"],
        aws: AwsUse::Admin,
        apps: &[APP_O365, APP_SLACK, APP_ZOOM, APP_ATLASSIAN, APP_GITHUB, APP_AWS, APP_SERVICENOW, APP_OKTA_ADMIN],
    },
    Dept {
        name: "Executive",
        weight: 2,
        titles: &["Chief Executive Officer", "Chief Financial Officer", "Chief Technology Officer", "VP Sales"],
        aws: AwsUse::None,
        apps: &[APP_O365, APP_SLACK, APP_ZOOM, APP_SALESFORCE, APP_WORKDAY, APP_TABLEAU],
    },
];

static FIRST: &[&str] = &[
    "Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Isabel", "Jack", "Karen", "Liam", "Maria",
    "Noah", "Olivia", "Peter", "Quinn", "Rachel", "Samuel", "Tara", "Umar", "Victoria", "William", "Xin", "Yusuf",
    "Zoe", "Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Deepa", "Lukas", "Hannah", "Felix", "Lena", "Jonas", "Mia",
    "Oliver", "Amelia", "Harry", "Isla", "George", "Sophie", "Mateo", "Sofia", "Diego", "Camila", "Wei", "Mei",
    "Kenji", "Yuki", "Omar", "Layla", "Ethan", "Chloe", "Lucas", "Ava", "Mason", "Ella", "Daniel", "Nora", "James",
    "Ruth", "Arjun", "Kavya", "Tobias", "Clara", "Malik", "Imani",
];

static LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Patel",
    "Sharma",
    "Iyer",
    "Reddy",
    "Nair",
    "Gupta",
    "Mueller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Becker",
    "Wagner",
    "Evans",
    "Hughes",
    "Edwards",
    "Collins",
    "Murphy",
    "Chen",
    "Wang",
    "Liu",
    "Zhang",
    "Kim",
    "Park",
    "Nguyen",
    "Tanaka",
    "Sato",
    "Cohen",
    "Rossi",
    "Silva",
    "Okafor",
    "Mensah",
    "Novak",
    "Kowalski",
    "Larsen",
    "Dubois",
    "Costa",
];

/// A browser/user agent with Okta's parsed `os` and `browser`.
pub(crate) struct Ua {
    pub raw: &'static str,
    pub os: &'static str,
    pub browser: &'static str,
}

pub(crate) static UAS: &[Ua] = &[
    Ua {
        raw: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
        os: "Windows 10",
        browser: "CHROME",
    },
    Ua {
        raw: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0",
        os: "Windows 10",
        browser: "EDGE_CHROMIUM",
    },
    Ua {
        raw: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
        os: "Windows 10",
        browser: "FIREFOX",
    },
    Ua {
        raw: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
        os: "Mac OS X",
        browser: "CHROME",
    },
    Ua {
        raw: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
        os: "Mac OS X",
        browser: "SAFARI",
    },
    // Attacker tooling.
    Ua {
        raw: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        os: "Linux",
        browser: "CHROME",
    },
    Ua { raw: "python-requests/2.31.0", os: "Unknown", browser: "UNKNOWN" },
    Ua {
        raw: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        os: "iOS",
        browser: "MOBILE_SAFARI",
    },
    Ua { raw: "Go-http-client/1.1", os: "Unknown", browser: "UNKNOWN" },
    Ua { raw: "okta-sdk-python/2.9.5 python/3.11.6 Linux/5.15.0", os: "Linux", browser: "UNKNOWN" },
];

pub(crate) const UA_LINUX_CHROME: usize = 5;
pub(crate) const UA_PY_REQUESTS: usize = 6;
pub(crate) const UA_OKTA_SDK: usize = 9;

pub(crate) struct User {
    pub okta_id: String,
    pub login: String,
    pub email: String,
    pub name: String,
    pub dept: usize,
    pub title: &'static str,
    pub manager: Option<usize>,
    pub city: usize,
    pub work_start: f64,
    pub work_end: f64,
    pub is_admin: bool,
    pub is_service: bool,
    pub status: &'static str,
    pub last_active: i64,
    pub sid: String,
    pub host: Option<usize>,
    pub home: Net,
    pub ua: usize,
    pub vpn: Option<usize>,
    pub aws: AwsUse,
    /// Typical S3 objects read on a working day.
    pub s3_daily: u32,
    pub adm: Option<String>,
    pub adm_sid: Option<String>,
    /// Index of this person's legacy IAM user in the dev account.
    pub iam_dev: Option<usize>,
    pub weekend: f64,
    pub office_bias: f64,
    pub groups: Vec<usize>,
    pub apps: Vec<usize>,
    pub factor_id: String,
}

impl User {
    pub(crate) fn tz(&self) -> f64 {
        CITIES[self.city].tz
    }
    pub(crate) fn active(&self) -> bool {
        self.status == "ACTIVE" && !self.is_service
    }
}

pub(crate) struct Host {
    pub name: String,
    pub fqdn: String,
    pub ip: u32,
    pub owner: Option<usize>,
    pub kind: &'static str,
    pub os: &'static str,
    pub windows: bool,
    pub criticality: &'static str,
    pub role: &'static str,
    pub lsass: u32,
    pub sysmon: u32,
    pub services: u32,
}

pub(crate) struct Bucket {
    pub name: String,
    pub region: &'static str,
    pub sensitivity: &'static str,
    pub kind: BucketKind,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum BucketKind {
    CustomerData,
    Backups,
    AppLogs,
    StaticAssets,
    FinanceReports,
    Analytics,
    Artifacts,
    Scratch,
    MlData,
    TfState,
}

pub(crate) struct AccessKey {
    pub id: String,
    pub created: i64,
    /// When it was last used before the period, where the inventory says so (dormant keys).
    pub last_used: Option<i64>,
}

pub(crate) struct IamUser {
    pub name: String,
    pub arn: String,
    pub id: String,
    pub keys: Vec<AccessKey>,
    pub console: bool,
    pub owner: String,
    pub purpose: &'static str,
    pub policies: Vec<String>,
}

pub(crate) struct IamRole {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub trust: &'static str,
}

pub(crate) struct AwsAccount {
    pub id: String,
    pub name: &'static str,
    pub regions: [&'static str; 2],
    pub buckets: Vec<Bucket>,
    pub users: Vec<IamUser>,
    pub roles: Vec<IamRole>,
    pub root_key: Option<String>,
    pub saml_provider: String,
    pub kms_key: String,
}

impl AwsAccount {
    pub(crate) fn user(&self, name: &str) -> Option<usize> {
        self.users.iter().position(|u| u.name == name)
    }
    pub(crate) fn role(&self, name: &str) -> Option<usize> {
        self.roles.iter().position(|r| r.name == name)
    }
    pub(crate) fn bucket(&self, kind: BucketKind) -> Option<usize> {
        self.buckets.iter().position(|b| b.kind == kind)
    }
}

pub(crate) const PROD: usize = 0;
pub(crate) const DEV: usize = 1;

/// Retired service IAM users (name, owning team, purpose, policy) for the dormant-key scenario.
pub(crate) static DORMANT_SERVICE_USERS: &[(&str, &str, &str, &str)] = &[
    ("svc-etl-export", "data-team", "retired nightly ETL export; key never rotated", "AnalyticsExportRead"),
    ("svc-bi-sync", "data-team", "retired BI dashboard sync; key never rotated", "AnalyticsExportRead"),
    ("svc-sftp-bridge", "it-ops", "retired SFTP bridge to a former partner; key never rotated", "AnalyticsExportRead"),
];

pub(crate) struct OAuthApp {
    pub id: String,
    pub name: &'static str,
    pub scopes: &'static [&'static str],
    pub escalated: &'static [&'static str],
    pub daily_grants: u32,
}

pub(crate) struct Vendor {
    pub name: &'static str,
    pub domain: &'static str,
    pub kind: &'static str,
    pub okta_id: String,
    pub email: String,
    pub display: String,
    pub app: OAuthApp,
    pub net: Net,
    pub scope: &'static str,
    pub groups: Vec<usize>,
    pub apps: Vec<usize>,
    /// How often the vendor's person signs in (per working day).
    pub login_rate: f64,
}

pub(crate) struct Group {
    pub id: String,
    pub name: String,
}

pub(crate) struct Servers {
    pub dc: [usize; 2],
    pub file: usize,
    pub backup: usize,
    pub sql: usize,
    pub app: usize,
    pub jump: usize,
    pub web: Vec<usize>,
}

pub(crate) struct Company {
    pub users: Vec<User>,
    pub hosts: Vec<Host>,
    pub accounts: Vec<AwsAccount>,
    pub vendors: Vec<Vendor>,
    pub app_ids: Vec<String>,
    pub groups: Vec<Group>,
    /// Office uplink per home city (index into `CITIES`).
    pub offices: Vec<(usize, Net)>,
    /// The corporate VPN/secure-web-gateway egress points (they geolocate abroad).
    pub vpn: Vec<Net>,
    pub domain_sid: String,
    pub srv: Servers,
    /// Active employees (the first `employees` entries of `users`).
    pub employees: usize,
    pub dormant_admins: Vec<usize>,
    pub svc_backup: usize,
    pub start_day: i64,
    pub ci_runner_nets: Vec<Net>,
    /// Where the on-premises reporting job calls AWS from.
    pub reporting_net: Net,
}

pub(crate) fn group_names() -> Vec<String> {
    let mut v = vec!["Everyone".to_string()];
    v.extend(DEPTS.iter().map(|d| format!("Dept-{}", d.name.replace(' ', ""))));
    for g in [
        "Okta Super Admins",
        "AWS-Admins",
        "AWS-Developers",
        "AWS-Finance",
        "AWS-Data",
        "VPN-Users",
        "Contractors",
        "Payroll-Sync",
        "Marketing-Audience",
        "MSP-Helpdesk",
    ] {
        v.push(g.to_string());
    }
    v
}

impl Company {
    pub(crate) fn group(&self, name: &str) -> usize {
        self.groups.iter().position(|g| g.name == name).unwrap_or(0)
    }

    pub(crate) fn office(&self, city: usize) -> Net {
        self.offices.iter().find(|(c, _)| *c == city).map(|(_, n)| *n).unwrap_or(self.offices[0].1)
    }

    pub(crate) fn admins(&self) -> Vec<usize> {
        (0..self.employees).filter(|&i| self.users[i].is_admin).collect()
    }

    pub(crate) fn generate(seed: u64, employees: usize, start_day: i64) -> Company {
        let rng_owned = stream(seed, 1, 0);
        let rng = &rng_owned;
        let domain_sid = format!(
            "S-1-5-21-{}-{}-{}",
            between(rng, 1_000_000_000, 4_000_000_000),
            between(rng, 1_000_000_000, 4_000_000_000),
            between(rng, 1_000_000_000, 4_000_000_000)
        );
        let groups: Vec<Group> =
            group_names().into_iter().map(|name| Group { id: format!("00g{}", b62(rng, 17)), name }).collect();
        let app_ids: Vec<String> = APPS.iter().map(|_| format!("0oa{}", b62(rng, 17))).collect();
        let offices: Vec<(usize, Net)> =
            HOME_CITIES.iter().map(|&(c, _)| (c, Net::draw(rng, c, geo::business_isp(c)))).collect();
        let vpn = vec![Net::draw(rng, geo::AMSTERDAM, geo::ZSCALER), Net::draw(rng, geo::FRANKFURT, geo::ZSCALER)];

        // Departments: IT gets the admins (about 3%, at least two), the rest by weight.
        let n_admins = ((employees as f64 * 0.03).round() as usize).max(2);
        let weights: Vec<u32> = DEPTS.iter().map(|d| d.weight).collect();
        let mut depts: Vec<usize> =
            (0..employees).map(|i| if i < n_admins { IT } else { weighted(rng, &weights) }).collect();
        // Make sure the roles the attacks need exist even in a tiny company.
        if employees > n_admins + 3 {
            depts[n_admins] = ENGINEERING;
            depts[n_admins + 1] = FINANCE;
            depts[n_admins + 2] = DATA;
        }
        shuffle(rng, &mut depts);

        let mut users: Vec<User> = Vec::with_capacity(employees + 16);
        let mut logins = std::collections::BTreeSet::new();
        let city_w: Vec<u32> = HOME_CITIES.iter().map(|&(_, w)| w).collect();
        for (i, &dept) in depts.iter().enumerate() {
            let city = if dept == IT && chance(rng, 0.7) { geo::BOSTON } else { HOME_CITIES[weighted(rng, &city_w)].0 };
            let u = person(rng, &mut logins, dept, city, i as u32, &domain_sid, start_day);
            users.push(u);
        }
        // Managers: the first person of each department reports to the first executive.
        let exec = users.iter().position(|u| u.dept == EXEC);
        let mut dept_head: Vec<Option<usize>> = vec![None; DEPTS.len()];
        for (i, u) in users.iter_mut().enumerate() {
            match dept_head[u.dept] {
                None => {
                    dept_head[u.dept] = Some(i);
                    u.manager = if Some(i) == exec { None } else { exec };
                }
                Some(h) => u.manager = Some(h),
            }
        }

        // Dormant accounts: former admins and leavers, suspended months ago.
        let mut dormant_admins = Vec::new();
        let n_dormant_admins = 1 + employees / 300;
        let n_dormant_other = 1 + employees / 60;
        for k in 0..(n_dormant_admins + n_dormant_other) {
            let admin = k < n_dormant_admins;
            let dept = if admin { IT } else { weighted(rng, &weights) };
            let mut u = person(rng, &mut logins, dept, geo::BOSTON, (users.len()) as u32, &domain_sid, start_day);
            u.status = if admin || chance(rng, 0.5) { "SUSPENDED" } else { "DEPROVISIONED" };
            u.last_active = start_day * DAY - between(rng, 70, 220) * DAY + between(rng, 13, 21) * 3_600_000_000;
            u.host = None;
            if admin {
                dormant_admins.push(users.len());
            }
            users.push(u);
        }

        // New hires created in Okta but not yet activated.
        for _ in 0..(1 + employees / 150) {
            let dept = weighted(rng, &weights);
            let city = HOME_CITIES[weighted(rng, &city_w)].0;
            let mut u = person(rng, &mut logins, dept, city, users.len() as u32, &domain_sid, start_day);
            u.status = "STAGED";
            u.last_active = i64::MIN;
            users.push(u);
        }

        // Service accounts.
        let svc_backup = users.len();
        users.push(service(rng, "svc-backup", "Backup Service", &domain_sid, users.len() as u32, start_day));
        users.push(service(rng, "ci-bot", "CI Bot", &domain_sid, users.len() as u32, start_day));
        let n = users.len() as u32;
        users.push(service(rng, "svc-sql", "SQL Server Service", &domain_sid, n, start_day));

        // Hosts: one laptop per active employee, then the servers.
        let mut hosts = Vec::with_capacity(employees + 16);
        let mut per_city = [0u32; 32];
        for (i, u) in users.iter_mut().enumerate().take(employees) {
            let windows = u.dept == IT || !chance(rng, if u.dept == ENGINEERING { 0.35 } else { 0.12 });
            let k = per_city[u.city];
            per_city[u.city] += 1;
            let addr = ip(10, 20 + u.city as u8, (k / 200) as u8, (k % 200 + 20) as u8);
            let name = if windows { format!("WKS-{:04}", i + 1) } else { format!("MBP-{:04}", i + 1) };
            u.ua = if windows { weighted(rng, &[70, 25, 5]) } else { 3 + weighted(rng, &[60, 40]) };
            u.host = Some(hosts.len());
            hosts.push(Host {
                fqdn: format!("{name}.{AD_FQDN}"),
                name,
                ip: addr,
                owner: Some(i),
                kind: "laptop",
                os: if windows { "Windows 11 Enterprise 23H2" } else { "macOS 14.6" },
                windows,
                criticality: if u.is_admin || u.dept == EXEC || u.dept == FINANCE { "high" } else { "medium" },
                role: "workstation",
                lsass: between(rng, 600, 900) as u32 & !3,
                sysmon: between(rng, 2000, 4200) as u32 & !3,
                services: between(rng, 560, 760) as u32 & !3,
            });
        }
        let mut server = |rng: &R, name: &str, last: u8, os: &'static str, crit: &'static str, role: &'static str| {
            let windows = os.starts_with("Windows");
            hosts.push(Host {
                name: name.to_string(),
                fqdn: format!("{name}.{AD_FQDN}"),
                ip: ip(10, 0, if role == "web" { 20 } else { 10 }, last),
                owner: None,
                kind: "server",
                os,
                windows,
                criticality: crit,
                role,
                lsass: between(rng, 600, 900) as u32 & !3,
                sysmon: between(rng, 2000, 4200) as u32 & !3,
                services: between(rng, 560, 760) as u32 & !3,
            });
            hosts.len() - 1
        };
        let ws = "Windows Server 2022 Datacenter";
        let dc1 = server(rng, "SRV-DC01", 10, ws, "critical", "domain_controller");
        let dc2 = server(rng, "SRV-DC02", 11, ws, "critical", "domain_controller");
        let file = server(rng, "SRV-FILE01", 20, ws, "high", "file_server");
        let backup = server(rng, "SRV-BACKUP01", 30, ws, "critical", "backup_server");
        let sql = server(rng, "SRV-SQL01", 40, ws, "critical", "database");
        let app = server(rng, "SRV-APP01", 50, ws, "high", "application");
        let jump = server(rng, "SRV-JUMP01", 60, ws, "high", "jump_host");
        let n_web = 2 + employees / 400;
        let web: Vec<usize> = (0..n_web)
            .map(|k| server(rng, &format!("SRV-WEB{:02}", k + 1), 11 + k as u8, "Ubuntu 22.04 LTS", "high", "web"))
            .collect();
        let srv = Servers { dc: [dc1, dc2], file, backup, sql, app, jump, web };

        // VPN: a slice of people regularly go out through the secure web gateway.
        for u in users.iter_mut().take(employees) {
            if chance(rng, 0.08) {
                u.vpn = Some(if chance(rng, 0.6) { 0 } else { 1 });
            }
        }

        let reporting_net = offices[0].1;
        let accounts = aws_accounts(rng, &mut users, employees, start_day);
        let vendors = vendors(rng, &groups);
        let ci_runner_nets = (0..12).map(|_| Net::draw(rng, geo::BOYDTON, geo::AZURE)).collect();

        // Okta group and app membership.
        let gidx = |name: &str| groups.iter().position(|g| g.name == name).unwrap_or(0);
        for u in users.iter_mut() {
            if u.is_service {
                continue;
            }
            u.groups.push(0);
            u.groups.push(1 + u.dept);
            match u.aws {
                AwsUse::Admin => {
                    u.groups.push(gidx("Okta Super Admins"));
                    u.groups.push(gidx("AWS-Admins"));
                }
                AwsUse::Developer => u.groups.push(gidx("AWS-Developers")),
                AwsUse::Finance => u.groups.push(gidx("AWS-Finance")),
                AwsUse::Data => u.groups.push(gidx("AWS-Data")),
                AwsUse::None => {}
            }
            if u.vpn.is_some() {
                u.groups.push(gidx("VPN-Users"));
            }
            u.apps = DEPTS[u.dept].apps.to_vec();
        }

        Company {
            users,
            hosts,
            accounts,
            vendors,
            app_ids,
            groups,
            offices,
            vpn,
            domain_sid,
            srv,
            employees,
            dormant_admins,
            svc_backup,
            start_day,
            ci_runner_nets,
            reporting_net,
        }
    }

    /// Adds `n` retired service IAM users to the prod account, each with a years-old access key
    /// last used months before the period and nothing in the background that uses it (the
    /// dormant-key scenario wakes them). Draws only from its own stream, so nothing else in the
    /// company changes.
    pub(crate) fn add_dormant_service_users(&mut self, seed: u64, n: usize) {
        let rng_owned = stream(seed, hash_str("dormant_service_weekly/company"), 0);
        let rng = &rng_owned;
        let a = &mut self.accounts[PROD];
        for k in 0..n {
            let (base, owner, purpose, policy) = DORMANT_SERVICE_USERS[k % DORMANT_SERVICE_USERS.len()];
            let name = if k < DORMANT_SERVICE_USERS.len() {
                base.to_string()
            } else {
                format!("{base}-{}", k / DORMANT_SERVICE_USERS.len() + 1)
            };
            let created =
                (self.start_day - between(rng, 700, 1400)) * DAY + between(rng, 0, DAY / 1_000_000) * 1_000_000;
            let last_used =
                (self.start_day - between(rng, 150, 330)) * DAY + between(rng, 0, DAY / 1_000_000) * 1_000_000;
            a.users.push(IamUser {
                arn: format!("arn:aws:iam::{}:user/{name}", a.id),
                name,
                id: aws_uid(rng, "AIDA"),
                keys: vec![AccessKey { id: akia(rng), created, last_used: Some(last_used) }],
                console: false,
                owner: format!("{owner}@{EMAIL_DOMAIN}"),
                purpose,
                policies: vec![policy.to_string()],
            });
        }
    }

    /// `inventory.json`.
    pub(crate) fn inventory(&self, end_day: i64) -> J<'_> {
        let users: Vec<J> = self
            .users
            .iter()
            .map(|u| {
                let c = &CITIES[u.city];
                obj! {
                    "id": &u.okta_id,
                    "login": &u.email,
                    "email": &u.email,
                    "samAccountName": &u.login,
                    "sid": &u.sid,
                    "name": &u.name,
                    "department": DEPTS[u.dept].name,
                    "role": role_name(u),
                    "title": u.title,
                    "manager": u.manager.map(|m| self.users[m].email.as_str()),
                    "city": c.name,
                    "country": c.country,
                    "country_code": c.cc,
                    "lat": c.lat,
                    "lon": c.lon,
                    "timezone_offset_hours": c.tz,
                    "work_hours": obj!{"start": hours(u.work_start), "end": hours(u.work_end)},
                    "home_ip": if u.is_service { J::Null } else { J::Own(u.home.ip_s()) },
                    "is_admin": u.is_admin,
                    "is_service": u.is_service,
                    "admin_account": u.adm.as_deref(),
                    "status": u.status,
                    "last_active": (u.last_active != i64::MIN).then(|| crate::util::fmt_ts(u.last_active, crate::util::Ts::Secs)),
                    "laptop": u.host.map(|h| self.hosts[h].name.as_str()),
                    "aws_access": format!("{:?}", u.aws).to_lowercase(),
                    "okta_groups": J::Arr(u.groups.iter().map(|&g| J::Str(&self.groups[g].name)).collect()),
                    "okta_apps": J::Arr(u.apps.iter().map(|&a| J::Str(APPS[a].0)).collect()),
                }
            })
            .collect();
        let hosts: Vec<J> = self
            .hosts
            .iter()
            .map(|h| {
                obj! {
                    "hostname": &h.name,
                    "fqdn": &h.fqdn,
                    "ip": ip_str(h.ip),
                    "owner": h.owner.map(|o| self.users[o].email.as_str()),
                    "kind": h.kind,
                    "role": h.role,
                    "os": h.os,
                    "criticality": h.criticality,
                    "logs": if h.windows { "windows" } else { "none" },
                }
            })
            .collect();
        let accounts: Vec<J> = self
            .accounts
            .iter()
            .map(|a| {
                let buckets: Vec<J> = a
                    .buckets
                    .iter()
                    .map(|b| obj! {"name": &b.name, "region": b.region, "sensitivity": b.sensitivity})
                    .collect();
                let users: Vec<J> = a
                    .users
                    .iter()
                    .map(|u| {
                        let keys: Vec<J> = u
                            .keys
                            .iter()
                            .map(|k| {
                                let mut o = obj! {
                                    "access_key_id": &k.id,
                                    "owner": &u.owner,
                                    "created": crate::util::fmt_ts(k.created, crate::util::Ts::Secs),
                                    "status": "Active",
                                };
                                if let Some(t) = k.last_used {
                                    o.push("last_used", crate::util::fmt_ts(t, crate::util::Ts::Secs));
                                }
                                o
                            })
                            .collect();
                        obj! {
                            "name": &u.name,
                            "arn": &u.arn,
                            "owner": &u.owner,
                            "purpose": u.purpose,
                            "console_access": u.console,
                            "attached_policies": J::strs(&u.policies),
                            "access_keys": keys,
                        }
                    })
                    .collect();
                let roles: Vec<J> =
                    a.roles.iter().map(|r| obj! {"name": &r.name, "arn": &r.arn, "trust": r.trust}).collect();
                obj! {
                    "id": &a.id,
                    "name": a.name,
                    "regions": J::strs(&a.regions),
                    "buckets": buckets,
                    "iam_users": users,
                    "roles": roles,
                    "root_access_key": a.root_key.as_deref(),
                }
            })
            .collect();
        let vendors: Vec<J> = self
            .vendors
            .iter()
            .map(|v| {
                obj! {
                    "name": v.name,
                    "domain": v.domain,
                    "kind": v.kind,
                    "identities": vec![obj!{"okta_id": &v.okta_id, "login": &v.email, "name": &v.display}],
                    "oauth_apps": vec![obj!{
                        "client_id": &v.app.id,
                        "name": v.app.name,
                        "scopes": J::strs(v.app.scopes),
                        "usual_daily_token_grants": v.app.daily_grants,
                    }],
                    "usual_ip": v.net.ip_s(),
                    "access_scope": v.scope,
                    "okta_groups": J::Arr(v.groups.iter().map(|&g| J::Str(&self.groups[g].name)).collect()),
                    "okta_apps": J::Arr(v.apps.iter().map(|&a| J::Str(APPS[a].0)).collect()),
                }
            })
            .collect();
        let offices: Vec<J> = self
            .offices
            .iter()
            .map(|(c, n)| obj! {"city": CITIES[*c].name, "egress_ip": n.ip_s(), "asn": n.isp().asn})
            .collect();
        let vpn: Vec<J> = self
            .vpn
            .iter()
            .map(|n| obj! {"egress_ip": n.ip_s(), "geolocates_to": n.city().name, "asn": n.isp().asn, "provider": "Zscaler"})
            .collect();
        obj! {
            "company": COMPANY,
            "email_domain": EMAIL_DOMAIN,
            "ad_domain": AD_FQDN,
            "okta_org": OKTA_HOST,
            "period": obj!{"start": crate::util::fmt_day(self.start_day), "end": crate::util::fmt_day(end_day)},
            "offices": offices,
            "vpn_egress": vpn,
            "users": users,
            "hosts": hosts,
            "aws_accounts": accounts,
            "vendors": vendors,
        }
    }
}

fn hours(h: f64) -> String {
    let m = (h * 60.0).round() as i64;
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn role_name(u: &User) -> &'static str {
    if u.is_service {
        "service"
    } else if u.is_admin {
        "admin"
    } else if u.manager.is_none() || u.title.contains("Manager") || u.title.starts_with("Chief") {
        "manager"
    } else {
        "employee"
    }
}

fn person(
    rng: &R,
    logins: &mut std::collections::BTreeSet<String>,
    dept: usize,
    city: usize,
    idx: u32,
    domain_sid: &str,
    start_day: i64,
) -> User {
    let first = *pick(rng, FIRST);
    let last = *pick(rng, LAST);
    let base = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
    let mut login = base.clone();
    let mut k = 2;
    while logins.contains(&login) {
        login = format!("{base}{k}");
        k += 1;
    }
    logins.insert(login.clone());
    let is_admin = dept == IT;
    let c = &CITIES[city];
    let isps = geo::home_isps(c.cc);
    let home = Net::draw(rng, city, *pick(rng, isps));
    let engineer = dept == ENGINEERING || dept == IT;
    let work_start = (normal(rng, if engineer { 9.2 } else { 8.5 }, 0.6)).clamp(6.5, 11.0);
    let work_end = (work_start + normal(rng, 8.8, 0.5)).clamp(work_start + 6.0, 20.5);
    let aws = DEPTS[dept].aws;
    let s3_daily = match aws {
        AwsUse::Finance => between(rng, 3, 10) as u32,
        AwsUse::Data => between(rng, 5, 14) as u32,
        AwsUse::Developer => between(rng, 1, 5) as u32,
        AwsUse::Admin => between(rng, 1, 3) as u32,
        AwsUse::None => 0,
    };
    let rid = 1100 + idx;
    User {
        okta_id: format!("00u{}", b62(rng, 17)),
        email: format!("{login}@{EMAIL_DOMAIN}"),
        name: format!("{first} {last}"),
        dept,
        title: pick::<&str>(rng, DEPTS[dept].titles),
        manager: None,
        city,
        work_start,
        work_end,
        is_admin,
        is_service: false,
        status: "ACTIVE",
        last_active: start_day * DAY - between(rng, 1, 3) * DAY + (12.0 + normal(rng, 4.0, 2.0)) as i64 * 3_600_000_000,
        sid: format!("{domain_sid}-{rid}"),
        host: None,
        home,
        ua: 0,
        vpn: None,
        aws,
        s3_daily,
        adm: is_admin.then(|| format!("adm-{login}")),
        adm_sid: is_admin.then(|| format!("{domain_sid}-{}", 5100 + idx)),
        iam_dev: None,
        weekend: if engineer { 0.22 } else { 0.08 },
        office_bias: (normal(rng, 0.5, 0.2)).clamp(0.05, 0.95),
        groups: Vec::new(),
        apps: Vec::new(),
        factor_id: format!("opf{}", b62(rng, 17)),
        login,
    }
}

fn service(rng: &R, login: &str, name: &str, domain_sid: &str, idx: u32, start_day: i64) -> User {
    let mut u = person(rng, &mut std::collections::BTreeSet::new(), IT, geo::BOSTON, idx, domain_sid, start_day);
    u.login = login.to_string();
    u.email = format!("{login}@{EMAIL_DOMAIN}");
    u.name = name.to_string();
    u.title = "Service Account";
    u.is_admin = false;
    u.is_service = true;
    u.adm = None;
    u.adm_sid = None;
    u.aws = AwsUse::None;
    u.work_start = 0.0;
    u.work_end = 24.0;
    u.last_active = start_day * DAY - 2 * 3_600_000_000;
    u
}

fn aws_accounts(rng: &R, users: &mut [User], employees: usize, start_day: i64) -> Vec<AwsAccount> {
    let account_id = || format!("{:012}", between(rng, 100_000_000_000, 999_999_999_999));
    let prod_id = account_id();
    let dev_id = account_id();
    let mut accounts = Vec::new();
    for (k, (id, name)) in [(prod_id, "example-prod"), (dev_id, "example-dev")].into_iter().enumerate() {
        let env = if k == PROD { "prod" } else { "dev" };
        let regions = if k == PROD { ["us-east-1", "eu-west-1"] } else { ["us-east-1", "us-west-2"] };
        let bucket = |suffix: &str, region: &'static str, sensitivity: &'static str, kind: BucketKind| Bucket {
            name: format!("{SLUG}-{env}-{suffix}"),
            region,
            sensitivity,
            kind,
        };
        let buckets = if k == PROD {
            vec![
                bucket("customer-data", "us-east-1", "restricted", BucketKind::CustomerData),
                bucket("backups", "us-east-1", "restricted", BucketKind::Backups),
                bucket("app-logs", "us-east-1", "internal", BucketKind::AppLogs),
                bucket("static-assets", "us-east-1", "public", BucketKind::StaticAssets),
                bucket("finance-reports", "us-east-1", "confidential", BucketKind::FinanceReports),
                bucket("analytics-exports", "eu-west-1", "confidential", BucketKind::Analytics),
            ]
        } else {
            vec![
                bucket("artifacts", "us-east-1", "internal", BucketKind::Artifacts),
                bucket("scratch", "us-west-2", "internal", BucketKind::Scratch),
                bucket("ml-training-data", "us-west-2", "confidential", BucketKind::MlData),
                bucket("terraform-state", "us-east-1", "confidential", BucketKind::TfState),
            ]
        };
        let mut iam_users = Vec::new();
        let mut add_user = |rng: &R,
                            name: &str,
                            owner: &str,
                            purpose: &'static str,
                            console: bool,
                            key_age_days: i64,
                            policies: &[&str]| {
            iam_users.push(IamUser {
                name: name.to_string(),
                arn: format!("arn:aws:iam::{id}:user/{name}"),
                id: aws_uid(rng, "AIDA"),
                keys: if key_age_days > 0 {
                    vec![AccessKey {
                        id: akia(rng),
                        created: (start_day - key_age_days) * DAY + between(rng, 0, DAY / 1_000_000) * 1_000_000,
                        last_used: None,
                    }]
                } else {
                    Vec::new()
                },
                console,
                owner: owner.to_string(),
                purpose,
                policies: policies.iter().map(|p| p.to_string()).collect(),
            });
        };
        let backup_owner = format!("svc-backup@{EMAIL_DOMAIN}");
        let ci_owner = format!("ci-bot@{EMAIL_DOMAIN}");
        if k == PROD {
            add_user(rng, "svc-backup", &backup_owner, "nightly backups", false, 410, &["BackupOperator"]);
            add_user(rng, "ci-deploy", &ci_owner, "CI/CD deployments", false, 160, &["CIDeploy"]);
            add_user(rng, "terraform", &ci_owner, "infrastructure as code", false, 300, &["AdministratorAccess"]);
            add_user(
                rng,
                "legacy-reporting",
                &format!("data-team@{EMAIL_DOMAIN}"),
                "on-prem reporting job (long-lived key)",
                false,
                2210,
                &["ReportingReadWrite"],
            );
            let admins: Vec<usize> = (0..employees).filter(|&i| users[i].is_admin).take(2).collect();
            for a in admins {
                let name = format!("admin-{}", users[a].login);
                add_user(rng, &name, &users[a].email, "break-glass console admin", true, 0, &["AdministratorAccess"]);
            }
        } else {
            add_user(rng, "ci-deploy", &ci_owner, "CI/CD deployments", false, 140, &["CIDeploy"]);
            add_user(rng, "terraform", &ci_owner, "infrastructure as code", false, 280, &["AdministratorAccess"]);
            let engineers: Vec<usize> = (0..employees).filter(|&i| users[i].dept == ENGINEERING).collect();
            let n = (engineers.len() / 5).clamp(1, 6).min(engineers.len());
            for &e in engineers.iter().take(n) {
                let name = format!("dev-{}", users[e].login);
                users[e].iam_dev = Some(usize::MAX); // linked below
                add_user(
                    rng,
                    &name,
                    &users[e].email,
                    "legacy developer CLI access",
                    false,
                    between(rng, 200, 900),
                    &["DeveloperSelfService", "ReadOnlyAccess"],
                );
            }
        }
        let role = |rng: &R, name: &str, trust: &'static str| IamRole {
            name: name.to_string(),
            id: aws_uid(rng, "AROA"),
            arn: format!("arn:aws:iam::{id}:role/{name}"),
            trust,
        };
        let mut roles = vec![
            role(rng, "Okta-Admin", "saml"),
            role(rng, if k == PROD { "Okta-ReadOnly" } else { "Okta-Developer" }, "saml"),
            role(rng, "ci-deploy-role", "iam-user:ci-deploy"),
            role(rng, "lambda-exec-role", "service:lambda.amazonaws.com"),
            role(rng, "ec2-app-role", "service:ec2.amazonaws.com"),
            role(rng, "OrganizationAccountAccessRole", "account"),
        ];
        if k == PROD {
            roles.push(role(rng, "Okta-FinanceAnalyst", "saml"));
            roles.push(role(rng, "Okta-DataAnalyst", "saml"));
            roles.push(role(rng, "backup-role", "iam-user:svc-backup"));
        }
        let root_key = (k == DEV).then(|| akia(rng));
        accounts.push(AwsAccount {
            saml_provider: format!("arn:aws:iam::{id}:saml-provider/Okta"),
            id,
            name,
            regions,
            buckets,
            users: iam_users,
            roles,
            root_key,
            kms_key: uuid(rng),
        });
    }
    // Link people to their legacy dev IAM users.
    let dev = &accounts[DEV];
    for u in users.iter_mut() {
        if u.iam_dev.is_some() {
            u.iam_dev = dev.user(&format!("dev-{}", u.login));
        }
    }
    accounts
}

fn vendors(rng: &R, groups: &[Group]) -> Vec<Vendor> {
    let g = |name: &str| groups.iter().position(|x| x.name == name).unwrap_or(0);
    let mut v = Vec::new();
    let mut mk = |rng: &R,
                  name: &'static str,
                  domain: &'static str,
                  kind: &'static str,
                  user: &str,
                  display: &str,
                  app: &'static str,
                  scopes: &'static [&'static str],
                  escalated: &'static [&'static str],
                  net: Net,
                  scope: &'static str,
                  groups: Vec<usize>,
                  apps: Vec<usize>,
                  daily_grants: u32,
                  login_rate: f64| {
        v.push(Vendor {
            name,
            domain,
            kind,
            okta_id: format!("00u{}", b62(rng, 17)),
            email: format!("{user}@{domain}"),
            display: display.to_string(),
            app: OAuthApp { id: format!("0oa{}", b62(rng, 17)), name: app, scopes, escalated, daily_grants },
            net,
            scope,
            groups,
            apps,
            login_rate,
        });
    };
    let payflow_net = Net::draw(rng, geo::ASHBURN, geo::AWS);
    mk(
        rng,
        "PayFlow",
        "payflow.io",
        "payroll_saas",
        "integration",
        "PayFlow Integration",
        "PayFlow Payroll Sync",
        &["okta.users.read", "okta.groups.read"],
        &["okta.users.manage", "okta.groups.manage", "okta.apps.manage", "okta.factors.manage"],
        payflow_net,
        "reads People and Finance group membership for payroll sync",
        vec![g("Payroll-Sync")],
        vec![APP_PAYFLOW],
        10,
        0.1,
    );
    let summit_net = Net::draw(rng, geo::CHICAGO, geo::COMCAST);
    mk(
        rng,
        "Summit IT Services",
        "summit-msp.com",
        "msp",
        "helpdesk",
        "Summit Helpdesk",
        "Summit MSP Connector",
        &["okta.users.read", "okta.logs.read"],
        &["okta.users.manage", "okta.groups.manage", "okta.apps.manage", "okta.roles.manage"],
        summit_net,
        "helpdesk tickets and device management for Contractors; read-only user directory",
        vec![g("MSP-Helpdesk"), g("Contractors")],
        vec![APP_SUMMIT, APP_SERVICENOW],
        14,
        0.6,
    );
    let bright_net = Net::draw(rng, geo::COUNCIL_BLUFFS, geo::GCP);
    mk(
        rng,
        "BrightReach",
        "brightreach.io",
        "marketing_tool",
        "sync",
        "BrightReach Sync",
        "BrightReach Audience Sync",
        &["okta.users.read"],
        &["okta.users.read", "okta.users.manage", "okta.groups.manage", "okta.apps.read"],
        bright_net,
        "reads Marketing-Audience group members",
        vec![g("Marketing-Audience")],
        vec![APP_BRIGHTREACH],
        6,
        0.05,
    );
    v
}

/// An okta transaction / request id.
pub(crate) fn okta_request_id(rng: &R) -> String {
    format!("{}AAA{}", b62(rng, 20), upper_alnum(rng, 4))
}
