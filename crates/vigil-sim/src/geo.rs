//! Places, networks and the public addresses users, vendors and attackers come from.
//!
//! Every public address is drawn inside a prefix of the network it belongs to and always maps to
//! the same city and network, so the geolocation Okta reports for an address is stable.

use crate::json::{J, obj};
use crate::util::{R, between, hash_str, ip_str, mix};

pub(crate) struct City {
    pub name: &'static str,
    pub state: &'static str,
    pub country: &'static str,
    pub cc: &'static str,
    pub postal: &'static str,
    pub lat: f64,
    pub lon: f64,
    /// UTC offset in hours during the simulated (October) period.
    pub tz: f64,
}

const fn city(
    name: &'static str,
    state: &'static str,
    country: &'static str,
    cc: &'static str,
    postal: &'static str,
    lat: f64,
    lon: f64,
    tz: f64,
) -> City {
    City { name, state, country, cc, postal, lat, lon, tz }
}

pub(crate) const BOSTON: usize = 0;
pub(crate) const CHICAGO: usize = 1;
pub(crate) const AUSTIN: usize = 2;
pub(crate) const LONDON: usize = 3;
pub(crate) const BERLIN: usize = 4;
pub(crate) const BANGALORE: usize = 5;
pub(crate) const NEW_YORK: usize = 6;
pub(crate) const SAN_FRANCISCO: usize = 7;
pub(crate) const SEATTLE: usize = 8;
pub(crate) const TORONTO: usize = 9;
pub(crate) const PARIS: usize = 10;
pub(crate) const AMSTERDAM: usize = 11;
pub(crate) const DUBLIN: usize = 12;
pub(crate) const SINGAPORE: usize = 13;
pub(crate) const TOKYO: usize = 14;
pub(crate) const FRANKFURT: usize = 15;
pub(crate) const LAGOS: usize = 16;
pub(crate) const SAO_PAULO: usize = 17;
pub(crate) const BUCHAREST: usize = 18;
pub(crate) const MOSCOW: usize = 19;
pub(crate) const HO_CHI_MINH: usize = 20;
pub(crate) const JAKARTA: usize = 21;
pub(crate) const COUNCIL_BLUFFS: usize = 22;
pub(crate) const ASHBURN: usize = 23;
pub(crate) const BOYDTON: usize = 24;
pub(crate) const CLIFTON: usize = 25;

pub(crate) static CITIES: &[City] = &[
    city("Boston", "Massachusetts", "United States", "US", "02110", 42.3601, -71.0589, -4.0),
    city("Chicago", "Illinois", "United States", "US", "60601", 41.8781, -87.6298, -5.0),
    city("Austin", "Texas", "United States", "US", "78701", 30.2672, -97.7431, -5.0),
    city("London", "England", "United Kingdom", "GB", "EC2A", 51.5074, -0.1278, 1.0),
    city("Berlin", "Land Berlin", "Germany", "DE", "10115", 52.5200, 13.4050, 2.0),
    city("Bengaluru", "Karnataka", "India", "IN", "560001", 12.9716, 77.5946, 5.5),
    city("New York", "New York", "United States", "US", "10001", 40.7128, -74.0060, -4.0),
    city("San Francisco", "California", "United States", "US", "94105", 37.7749, -122.4194, -7.0),
    city("Seattle", "Washington", "United States", "US", "98101", 47.6062, -122.3321, -7.0),
    city("Toronto", "Ontario", "Canada", "CA", "M5H", 43.6532, -79.3832, -4.0),
    city("Paris", "Ile-de-France", "France", "FR", "75001", 48.8566, 2.3522, 2.0),
    city("Amsterdam", "North Holland", "Netherlands", "NL", "1012", 52.3676, 4.9041, 2.0),
    city("Dublin", "Leinster", "Ireland", "IE", "D02", 53.3498, -6.2603, 1.0),
    city("Singapore", "Central Singapore", "Singapore", "SG", "018956", 1.3521, 103.8198, 8.0),
    city("Tokyo", "Tokyo", "Japan", "JP", "100-0001", 35.6762, 139.6503, 9.0),
    city("Frankfurt am Main", "Hesse", "Germany", "DE", "60313", 50.1109, 8.6821, 2.0),
    city("Lagos", "Lagos", "Nigeria", "NG", "100001", 6.5244, 3.3792, 1.0),
    city("Sao Paulo", "Sao Paulo", "Brazil", "BR", "01000-000", -23.5505, -46.6333, -3.0),
    city("Bucharest", "Bucuresti", "Romania", "RO", "010011", 44.4268, 26.1025, 3.0),
    city("Moscow", "Moscow", "Russia", "RU", "101000", 55.7558, 37.6173, 3.0),
    city("Ho Chi Minh City", "Ho Chi Minh", "Vietnam", "VN", "700000", 10.8231, 106.6297, 7.0),
    city("Jakarta", "Jakarta", "Indonesia", "ID", "10110", -6.2088, 106.8456, 7.0),
    city("Council Bluffs", "Iowa", "United States", "US", "51501", 41.2619, -95.8608, -5.0),
    city("Ashburn", "Virginia", "United States", "US", "20147", 39.0438, -77.4874, -4.0),
    city("Boydton", "Virginia", "United States", "US", "23917", 36.6676, -78.3875, -4.0),
    city("Clifton", "New Jersey", "United States", "US", "07014", 40.8584, -74.1638, -4.0),
];

/// Where the company's people live and work, with relative head counts.
pub(crate) const HOME_CITIES: [(usize, u32); 6] =
    [(BOSTON, 36), (CHICAGO, 14), (AUSTIN, 14), (LONDON, 15), (BERLIN, 11), (BANGALORE, 10)];

/// Where people travel for business.
pub(crate) const TRAVEL_CITIES: [usize; 14] = [
    BOSTON,
    CHICAGO,
    AUSTIN,
    LONDON,
    BERLIN,
    BANGALORE,
    NEW_YORK,
    SAN_FRANCISCO,
    SEATTLE,
    TORONTO,
    PARIS,
    AMSTERDAM,
    DUBLIN,
    SINGAPORE,
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum NetKind {
    Residential,
    Business,
    Mobile,
    Hosting,
    Cloud,
    Vpn,
}

pub(crate) struct Isp {
    pub asn: u32,
    pub org: &'static str,
    pub isp: &'static str,
    pub domain: &'static str,
    /// First octet and the range of the second octet the network's addresses come from.
    pub a: u8,
    pub b: (u8, u8),
    pub kind: NetKind,
}

const fn isp(
    asn: u32,
    org: &'static str,
    isp: &'static str,
    domain: &'static str,
    a: u8,
    b: (u8, u8),
    kind: NetKind,
) -> Isp {
    Isp { asn, org, isp, domain, a, b, kind }
}

use NetKind::*;

pub(crate) const COMCAST: usize = 0;
pub(crate) const VERIZON: usize = 1;
pub(crate) const ATT: usize = 2;
pub(crate) const SPECTRUM: usize = 3;
pub(crate) const BT: usize = 4;
pub(crate) const VIRGIN: usize = 5;
pub(crate) const TELEKOM: usize = 6;
pub(crate) const VODAFONE_DE: usize = 7;
pub(crate) const AIRTEL: usize = 8;
pub(crate) const JIO: usize = 9;
pub(crate) const COGENT: usize = 10;
pub(crate) const LUMEN: usize = 11;
pub(crate) const COLT: usize = 12;
pub(crate) const ROGERS: usize = 14;
pub(crate) const ORANGE: usize = 15;
pub(crate) const KPN: usize = 16;
pub(crate) const EIR: usize = 17;
pub(crate) const SINGTEL: usize = 18;
pub(crate) const NTT: usize = 19;
pub(crate) const ZSCALER: usize = 20;
pub(crate) const DIGITALOCEAN: usize = 21;
pub(crate) const OVH: usize = 22;
pub(crate) const M247: usize = 23;
pub(crate) const VULTR: usize = 24;
pub(crate) const HETZNER: usize = 25;
pub(crate) const STARK: usize = 26;
pub(crate) const MTN: usize = 27;
pub(crate) const CLARO: usize = 28;
pub(crate) const RCS: usize = 29;
pub(crate) const ROSTELECOM: usize = 30;
pub(crate) const VIETTEL: usize = 31;
pub(crate) const TELKOMSEL: usize = 32;
pub(crate) const AWS: usize = 33;
pub(crate) const GCP: usize = 34;
pub(crate) const AZURE: usize = 35;

pub(crate) static ISPS: &[Isp] = &[
    isp(7922, "comcast", "comcast cable communications llc", "comcast.net", 73, (0, 255), Residential),
    isp(701, "verizon", "verizon fios", "verizon.net", 71, (160, 191), Residential),
    isp(7018, "at&t", "at&t services inc.", "att.net", 99, (0, 127), Residential),
    isp(20115, "charter communications", "charter communications inc", "spectrum.com", 24, (160, 191), Residential),
    isp(2856, "british telecommunications plc", "bt", "bt.com", 86, (128, 191), Residential),
    isp(5089, "virgin media limited", "virgin media", "virginm.net", 82, (0, 47), Residential),
    isp(3320, "deutsche telekom ag", "deutsche telekom ag", "t-ipconnect.de", 79, (192, 255), Residential),
    isp(3209, "vodafone gmbh", "vodafone gmbh", "vodafone.de", 88, (64, 79), Residential),
    isp(24560, "bharti airtel ltd.", "bharti airtel", "airtel.in", 122, (160, 191), Residential),
    isp(55836, "reliance jio infocomm limited", "reliance jio", "jio.com", 49, (32, 47), Residential),
    isp(174, "cogent communications", "cogent communications", "cogentco.com", 38, (96, 127), Business),
    isp(3356, "level 3 parent, llc", "lumen", "lumen.com", 4, (0, 63), Business),
    isp(8220, "colt technology services group limited", "colt", "colt.net", 212, (36, 36), Business),
    isp(21928, "t-mobile usa, inc.", "t-mobile usa", "tmodns.net", 172, (56, 63), Mobile),
    isp(812, "rogers communications canada inc.", "rogers", "rogers.com", 99, (224, 255), Residential),
    isp(3215, "orange s.a.", "orange", "orange.fr", 90, (0, 127), Residential),
    isp(1136, "kpn b.v.", "kpn", "kpn.com", 145, (128, 159), Residential),
    isp(5466, "eircom limited", "eir", "eir.ie", 86, (40, 47), Residential),
    isp(9506, "singtel fibre broadband", "singtel", "singnet.com.sg", 116, (86, 89), Residential),
    isp(4713, "ntt communications corporation", "ntt", "ocn.ne.jp", 153, (128, 255), Residential),
    isp(53813, "zscaler, inc.", "zscaler", "zscaler.net", 165, (225, 225), Vpn),
    isp(14061, "digitalocean, llc", "digitalocean", "digitalocean.com", 167, (99, 99), Hosting),
    isp(16276, "ovh sas", "ovh", "ovh.net", 51, (68, 91), Hosting),
    isp(9009, "m247 europe srl", "m247", "m247.com", 185, (156, 159), Hosting),
    isp(20473, "the constant company, llc", "vultr", "vultr.com", 45, (76, 77), Hosting),
    isp(24940, "hetzner online gmbh", "hetzner", "your-server.de", 95, (216, 217), Hosting),
    isp(
        44477,
        "stark industries solutions ltd",
        "stark industries",
        "stark-industries.solutions",
        45,
        (134, 134),
        Hosting,
    ),
    isp(29465, "mtn nigeria", "mtn nigeria", "mtnonline.com", 102, (89, 91), Mobile),
    isp(28573, "claro nxt telecomunicacoes ltda", "claro", "claro.com.br", 177, (32, 63), Residential),
    isp(8708, "rcs & rds", "digi", "digi.ro", 86, (120, 127), Residential),
    isp(12389, "rostelecom", "rostelecom", "rt.ru", 95, (24, 31), Residential),
    isp(7552, "viettel group", "viettel", "viettel.vn", 171, (224, 255), Residential),
    isp(23693, "pt. telekomunikasi selular", "telkomsel", "telkomsel.co.id", 114, (124, 125), Mobile),
    isp(14618, "amazon.com, inc.", "amazon.com", "amazonaws.com", 3, (208, 239), Cloud),
    isp(396982, "google llc", "google cloud", "googleusercontent.com", 34, (64, 127), Cloud),
    isp(8075, "microsoft corporation", "microsoft azure", "azure.com", 20, (102, 102), Cloud),
];

/// A public address with the city and network it geolocates to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Net {
    pub ip: u32,
    pub city: u16,
    pub isp: u16,
}

impl Net {
    pub(crate) fn draw(rng: &R, city: usize, isp_idx: usize) -> Net {
        let n = &ISPS[isp_idx];
        let b = between(rng, i64::from(n.b.0), i64::from(n.b.1)) as u8;
        let c = between(rng, 0, 255) as u8;
        let d = between(rng, 2, 253) as u8;
        Net { ip: u32::from_be_bytes([n.a, b, c, d]), city: city as u16, isp: isp_idx as u16 }
    }

    pub(crate) fn city(&self) -> &'static City {
        &CITIES[self.city as usize]
    }

    pub(crate) fn isp(&self) -> &'static Isp {
        &ISPS[self.isp as usize]
    }

    pub(crate) fn ip_s(&self) -> String {
        ip_str(self.ip)
    }

    /// Latitude/longitude as the geolocation database has it for this address: the city centre
    /// nudged by a fixed per-address amount.
    pub(crate) fn lat_lon(&self) -> (f64, f64) {
        let c = self.city();
        let h = mix(u64::from(self.ip));
        let dlat = ((h & 0xFFFF) as f64 / 65535.0 - 0.5) * 0.12;
        let dlon = (((h >> 16) & 0xFFFF) as f64 / 65535.0 - 0.5) * 0.12;
        (round4(c.lat + dlat), round4(c.lon + dlon))
    }

    /// Okta's `geographicalContext`.
    pub(crate) fn okta_geo(&self) -> J<'static> {
        let c = self.city();
        let (lat, lon) = self.lat_lon();
        obj! {
            "city": c.name,
            "state": c.state,
            "country": c.country,
            "postalCode": c.postal,
            "geolocation": obj!{"lat": lat, "lon": lon},
        }
    }

    /// Okta's `securityContext`.
    pub(crate) fn okta_security(&self) -> J<'static> {
        let n = self.isp();
        obj! {
            "asNumber": n.asn,
            "asOrg": n.org,
            "isp": n.isp,
            "domain": n.domain,
            "isProxy": n.kind == Vpn,
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Residential networks by country code.
pub(crate) fn home_isps(cc: &str) -> &'static [usize] {
    match cc {
        "US" => &[COMCAST, VERIZON, ATT, SPECTRUM],
        "GB" => &[BT, VIRGIN],
        "DE" => &[TELEKOM, VODAFONE_DE],
        "IN" => &[AIRTEL, JIO],
        "CA" => &[ROGERS],
        "FR" => &[ORANGE],
        "NL" => &[KPN],
        "IE" => &[EIR],
        "SG" => &[SINGTEL],
        "JP" => &[NTT],
        _ => &[COMCAST],
    }
}

/// The network an office or hotel in a city gets its uplink from.
pub(crate) fn business_isp(city: usize) -> usize {
    match CITIES[city].cc {
        "US" => {
            if hash_str(CITIES[city].name).is_multiple_of(2) {
                COGENT
            } else {
                LUMEN
            }
        }
        "GB" | "DE" => COLT,
        "IN" => AIRTEL,
        cc => home_isps(cc)[0],
    }
}

/// Where attackers come from: (city, network) pairs, hosting providers and foreign residential.
pub(crate) const ATTACKER_NETS: [(usize, usize); 12] = [
    (LAGOS, MTN),
    (SAO_PAULO, CLARO),
    (BUCHAREST, RCS),
    (MOSCOW, ROSTELECOM),
    (HO_CHI_MINH, VIETTEL),
    (JAKARTA, TELKOMSEL),
    (AMSTERDAM, DIGITALOCEAN),
    (FRANKFURT, HETZNER),
    (BUCHAREST, M247),
    (CLIFTON, VULTR),
    (AMSTERDAM, STARK),
    (PARIS, OVH),
];

/// Far-away residential/mobile origins for impossible travel.
pub(crate) const FAR_NETS: [(usize, usize); 6] = [
    (LAGOS, MTN),
    (SAO_PAULO, CLARO),
    (BUCHAREST, RCS),
    (MOSCOW, ROSTELECOM),
    (HO_CHI_MINH, VIETTEL),
    (JAKARTA, TELKOMSEL),
];

/// Hosting providers for scripted attacks.
pub(crate) const HOSTING_NETS: [(usize, usize); 6] = [
    (AMSTERDAM, DIGITALOCEAN),
    (FRANKFURT, HETZNER),
    (BUCHAREST, M247),
    (CLIFTON, VULTR),
    (AMSTERDAM, STARK),
    (PARIS, OVH),
];

pub(crate) fn net_json(n: &Net) -> J<'static> {
    obj! {"ip": n.ip_s(), "geographicalContext": n.okta_geo(), "version": "V4", "source": J::Null}
}
