"""Procedural people: identity traits and a walking 3-D skeleton in MPII joint order.

An identity is a :class:`PersonTraits`: body proportions, gait style, garments
(shape, pattern, material, colour) and accessories. Everything except the
colours survives a change of modality, so a network can only match visible and
infrared images of one person through shape, pattern, material and accessories.

Discrete attributes (garment cut, patterns, accessories, hair) form a code;
identities receive codes that differ in at least ``min_code_distance``
attributes, so that two identities never look alike by chance.
"""
from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

NUM_JOINTS = 16
"""MPII joints, mmpose order (SPEC, pose source)."""
(R_ANKLE, R_KNEE, R_HIP, L_HIP, L_KNEE, L_ANKLE, PELVIS, THORAX, UPPER_NECK, HEAD_TOP,
 R_WRIST, R_ELBOW, R_SHOULDER, L_SHOULDER, L_ELBOW, L_WRIST) = range(NUM_JOINTS)

UPPER_PATTERNS = ('solid', 'hstripes', 'vstripes', 'checks', 'diagonal', 'dots', 'band',
                  'twotone')
LOWER_PATTERNS = ('solid', 'hstripes', 'vstripes', 'checks')
SLEEVES = ('none', 'short', 'long')
UPPER_LENGTHS = ('waist', 'hip', 'coat')
LOWER_CUTS = ('trousers', 'shorts', 'skirt')
BAGS = ('none', 'hand', 'shoulder')
# (name, number of values) of every discrete attribute, in code order
CODE_ATTRIBUTES = (('upper_pattern', len(UPPER_PATTERNS)), ('lower_pattern', len(LOWER_PATTERNS)),
                   ('sleeves', len(SLEEVES)), ('upper_length', len(UPPER_LENGTHS)),
                   ('lower_cut', len(LOWER_CUTS)), ('backpack', 2), ('hat', 2),
                   ('bag', len(BAGS)), ('long_hair', 2))

# Thermal level (0 cold .. 1 hot) of garment materials; the infrared images show
# these instead of colours. Thin fabrics let body heat through, thick ones do not.
MATERIAL_HEAT = {'cotton': 0.66, 'synthetic': 0.56, 'denim': 0.48, 'wool': 0.40,
                 'leather': 0.30, 'down': 0.22}


@dataclass
class PersonTraits:
    """Everything that identifies one synthetic person.

    Lengths are fractions of the body height (feet to head top = 1).
    ``colors`` maps a material slot (see ``render.SLOTS``) to a BGR colour in
    [0, 1]; ``heat`` maps the same slots to a thermal level in [0, 1].
    """
    pid: int
    gender: str
    head: float
    neck: float
    shoulder_width: float
    hip_width: float
    leg: float
    upper_arm: float
    forearm: float
    arm_thickness: float
    leg_thickness: float
    torso_depth: float
    stride: float
    arm_swing: float
    knee_bend: float
    arm_spread: float
    lean: float
    upper_pattern: str
    lower_pattern: str
    pattern_frequency: float
    lower_pattern_frequency: float
    sleeves: str
    upper_length: str
    lower_cut: str
    backpack: bool
    backpack_size: Tuple[float, float, float]
    hat: bool
    bag: str
    bag_side: int
    long_hair: bool
    colors: dict
    heat: dict


def _pick_codes(num: int, rng: np.random.Generator, min_distance: int) -> np.ndarray:
    """Greedy random code book: ``num`` attribute codes with large pairwise Hamming distance.

    Codes are taken in random order and kept when they differ from every kept
    code in at least ``min_distance`` attributes; when the space runs out the
    required distance drops by one (never below 1, so codes stay unique).
    """
    sizes = [n for _, n in CODE_ATTRIBUTES]
    space = int(np.prod(sizes))
    if num > space:
        raise ValueError(f'num_ids={num} exceeds the {space} distinct synthetic identities')
    all_codes = np.stack(np.unravel_index(rng.permutation(space), sizes), axis=1)
    chosen: List[np.ndarray] = []
    distance = min_distance
    while len(chosen) < num:
        alive = np.ones(space, dtype=bool)
        for code in chosen:
            alive &= (all_codes != code).sum(1) >= distance
        while len(chosen) < num and alive.any():
            code = all_codes[np.argmax(alive)]
            chosen.append(code)
            alive &= (all_codes != code).sum(1) >= distance
        distance = max(1, distance - 1)
    return np.stack(chosen)


def _random_color(rng: np.random.Generator) -> np.ndarray:
    """A garment colour in BGR [0, 1], drawn in HSV so that hues are spread."""
    hue = rng.uniform(0, 360)
    sat = rng.uniform(0.15, 0.9)
    val = rng.uniform(0.2, 0.95)
    c = val * sat
    x = c * (1 - abs((hue / 60) % 2 - 1))
    sector = int(hue // 60)
    rgb = [(c, x, 0), (x, c, 0), (0, c, x), (0, x, c), (x, 0, c), (c, 0, x)][sector]
    rgb = np.array(rgb) + (val - c)
    return rgb[::-1].copy()


SKIN_TONES = np.array([[0.74, 0.83, 0.96], [0.60, 0.72, 0.88], [0.45, 0.58, 0.78],
                       [0.30, 0.42, 0.62], [0.20, 0.28, 0.42]])  # BGR
HAIR_COLORS = np.array([[0.08, 0.08, 0.09], [0.10, 0.18, 0.30], [0.35, 0.62, 0.80],
                        [0.62, 0.62, 0.64], [0.06, 0.10, 0.22]])  # BGR


def sample_identities(pids: List[int], rng: np.random.Generator,
                      min_code_distance: int = 3) -> List[PersonTraits]:
    """Draw the traits of every identity.

    Args:
        pids (list[int]): Identity numbers, in the order the traits are returned.
        rng (np.random.Generator): Source of randomness.
        min_code_distance (int): Minimum number of discrete attributes in which
            two identities differ (relaxed only when the code space runs out).

    Returns:
        list[PersonTraits]: One entry per pid.
    """
    codes = _pick_codes(len(pids), rng, min_code_distance)
    materials = list(MATERIAL_HEAT)
    people = []
    for pid, code in zip(pids, codes):
        attr = dict(zip([name for name, _ in CODE_ATTRIBUTES], code.tolist()))
        gender = 'female' if rng.random() < 0.5 else 'male'
        female = gender == 'female'
        build = rng.uniform(0.85, 1.25)
        colors, heat = {}, {}
        for slot in ('upper', 'upper2', 'lower', 'lower2', 'shoes', 'backpack', 'hat', 'bag'):
            colors[slot] = _random_color(rng)
        for slot in ('upper', 'lower', 'shoes', 'backpack', 'hat', 'bag'):
            material = materials[rng.integers(len(materials))]
            heat[slot] = float(np.clip(MATERIAL_HEAT[material] + rng.normal(0, 0.03), 0.05, 0.8))
        # printed patterns differ from the fabric in emissivity, so they show in infrared
        for slot in ('upper', 'lower'):
            contrast = rng.uniform(0.14, 0.26) * rng.choice([-1, 1])
            second = heat[slot] + contrast
            if not 0.05 <= second <= 0.85:
                second = heat[slot] - contrast
            heat[slot + '2'] = float(second)
        colors['skin'] = SKIN_TONES[rng.integers(len(SKIN_TONES))] * rng.uniform(0.9, 1.05)
        colors['hair'] = HAIR_COLORS[rng.integers(len(HAIR_COLORS))]
        colors['strap'] = colors['backpack'] * 0.6
        heat['skin'] = float(rng.uniform(0.86, 0.96))
        heat['hair'] = float(rng.uniform(0.40, 0.52))
        heat['strap'] = heat['backpack']
        people.append(PersonTraits(
            pid=int(pid),
            gender=gender,
            head=rng.uniform(0.115, 0.14),
            neck=rng.uniform(0.025, 0.04),
            shoulder_width=rng.uniform(0.2, 0.25) * (0.9 if female else 1.0) * build**0.5,
            hip_width=rng.uniform(0.15, 0.19) * (1.08 if female else 1.0) * build**0.5,
            leg=rng.uniform(0.46, 0.53),
            upper_arm=rng.uniform(0.16, 0.19),
            forearm=rng.uniform(0.14, 0.17),
            arm_thickness=rng.uniform(0.045, 0.06) * build,
            leg_thickness=rng.uniform(0.06, 0.08) * build,
            torso_depth=rng.uniform(0.1, 0.14) * build,
            stride=rng.uniform(0.15, 0.45),
            arm_swing=rng.uniform(0.05, 0.5),
            knee_bend=rng.uniform(0.1, 0.5),
            arm_spread=rng.uniform(0.05, 0.25),
            lean=rng.uniform(-0.04, 0.1),
            upper_pattern=UPPER_PATTERNS[attr['upper_pattern']],
            lower_pattern=LOWER_PATTERNS[attr['lower_pattern']],
            pattern_frequency=rng.uniform(12, 22),
            lower_pattern_frequency=rng.uniform(10, 18),
            sleeves=SLEEVES[attr['sleeves']],
            upper_length=UPPER_LENGTHS[attr['upper_length']],
            lower_cut=LOWER_CUTS[attr['lower_cut']],
            backpack=bool(attr['backpack']),
            backpack_size=(rng.uniform(0.15, 0.24), rng.uniform(0.16, 0.26),
                           rng.uniform(0.06, 0.12)),
            hat=bool(attr['hat']),
            bag=BAGS[attr['bag']],
            bag_side=int(rng.choice([-1, 1])),
            long_hair=bool(attr['long_hair']),
            colors=colors,
            heat=heat))
    return people


@dataclass
class BodyPoses:
    """The poses of a series of ``n`` images: gait phase and viewing direction of each.

    ``yaw`` is 0 when the person faces the camera and pi when seen from behind.
    """
    phase: np.ndarray
    yaw: np.ndarray

    def __len__(self) -> int:
        return len(self.phase)


def _sagittal(angle: np.ndarray) -> np.ndarray:
    """Unit vectors pointing down, rotated forward (+z) by ``angle`` (``n`` -> ``n x 3``)."""
    return np.stack([np.zeros_like(angle), -np.cos(angle), np.sin(angle)], axis=-1)


def skeleton(person: PersonTraits, phase: np.ndarray) -> np.ndarray:
    """3-D joints of a walking person at gait phases ``phase``, MPII order.

    The person stands on y = 0 with the head top at y = 1, faces +z and has
    the right side at -x (a frontal view shows the right side on the image's
    left, as MPII annotations expect).

    Args:
        person (PersonTraits): Proportions and gait style.
        phase (np.ndarray): ``n`` gait phases in radians.

    Returns:
        np.ndarray: ``n x 16 x 3`` joints in the body frame; :func:`turn` by a
        yaw gives the camera's view (z grows towards the camera).
    """
    p = person
    phase = np.asarray(phase, dtype=np.float64)
    joints = np.zeros((len(phase), NUM_JOINTS, 3))
    swing = np.sin(phase)
    hip_y = p.leg
    thigh = shin = (p.leg - 0.03) / 2
    for side, hip, knee, ankle in ((-1, R_HIP, R_KNEE, R_ANKLE), (1, L_HIP, L_KNEE, L_ANKLE)):
        leg_swing = -side * p.stride * swing
        bend = p.knee_bend * np.maximum(0.0, np.sin(phase + (np.pi / 2) * side))
        joints[:, hip] = (side * p.hip_width / 2, hip_y, 0)
        joints[:, knee] = joints[:, hip] + thigh * _sagittal(leg_swing)
        joints[:, ankle] = joints[:, knee] + shin * _sagittal(leg_swing - bend)
    joints[:, PELVIS] = (0, hip_y, 0)
    upper_neck = 1.0 - p.head
    thorax = upper_neck - p.neck
    joints[:, HEAD_TOP] = (0, 1.0, 0)
    joints[:, UPPER_NECK] = (0, upper_neck, 0)
    joints[:, THORAX] = (0, thorax, 0)
    carry = {'hand': p.bag_side}.get(p.bag, 0)
    for side, shoulder, elbow, wrist in ((-1, R_SHOULDER, R_ELBOW, R_WRIST),
                                         (1, L_SHOULDER, L_ELBOW, L_WRIST)):
        arm_swing = side * p.arm_swing * swing * (0.3 if carry == side else 1.0)
        spread = p.arm_spread + (0.15 if carry == side else 0.0)
        joints[:, shoulder] = (side * p.shoulder_width / 2, thorax - 0.015, 0)
        upper = _sagittal(arm_swing) * np.cos(spread) + (side * np.sin(spread), 0, 0)
        fore = _sagittal(arm_swing + 0.25 + 0.4 * np.maximum(0.0, arm_swing))
        fore = fore * np.cos(spread * 0.6) + (side * np.sin(spread * 0.6), 0, 0)
        joints[:, elbow] = joints[:, shoulder] + p.upper_arm * upper
        joints[:, wrist] = joints[:, elbow] + p.forearm * fore
    upper_body = [THORAX, UPPER_NECK, HEAD_TOP, R_SHOULDER, L_SHOULDER, R_ELBOW, L_ELBOW,
                  R_WRIST, L_WRIST]
    joints[:, upper_body] = lean_forward(joints[:, upper_body], p.lean, hip_y)
    return joints


def lean_forward(points: np.ndarray, angle: float, pivot_y: float) -> np.ndarray:
    """Rotate points (``... x 3``) about the horizontal x axis through (0, pivot_y, 0)."""
    y = points[..., 1] - pivot_y
    z = points[..., 2]
    out = points.copy()
    out[..., 1] = pivot_y + y * np.cos(angle) - z * np.sin(angle)
    out[..., 2] = y * np.sin(angle) + z * np.cos(angle)
    return out


def turn(points: np.ndarray, yaw) -> np.ndarray:
    """Rotate points about the vertical axis; yaw = pi shows the person's back.

    Args:
        points (np.ndarray): ``n x ... x 3`` points (or ``... x 3`` with a scalar yaw).
        yaw (float | np.ndarray): One angle, or ``n`` angles (one per leading index).
    """
    yaw = np.asarray(yaw, dtype=np.float64)
    yaw = yaw.reshape(yaw.shape + (1, ) * (points.ndim - 1 - yaw.ndim))
    c, s = np.cos(yaw), np.sin(yaw)
    out = np.array(points, dtype=np.float64)
    out[..., 0] = points[..., 0] * c + points[..., 2] * s
    out[..., 2] = -points[..., 0] * s + points[..., 2] * c
    return out
