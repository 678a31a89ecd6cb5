"""Drawing synthetic people: one body layout, two sensors (visible colour, thermal).

A person is first drawn as a *slot mask* (which material covers each pixel)
at ``supersample`` times the output size, by painting projected 3-D body parts
far to near. The visible image colours the slots and their printed patterns;
the thermal image shows each slot's heat (skin warm, garments by material, prints
by ink emissivity) and never sees a colour. Both are shaded, placed on the
camera's own background, lit or gained, blurred and noised per camera, then
reduced to the output size by area averaging.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import cv2
import numpy as np

from vireid_toolbox.structures.reid_data_sample import INFRARED, VISIBLE
from .body import (HEAD_TOP, L_ANKLE, L_ELBOW, L_HIP, L_KNEE, L_SHOULDER, L_WRIST, PELVIS,
                   R_ANKLE, R_ELBOW, R_HIP, R_KNEE, R_SHOULDER, R_WRIST, THORAX, UPPER_NECK,
                   BodyPoses, PersonTraits, lean_forward, skeleton, turn)

SLOTS = ('background', 'skin', 'hair', 'upper', 'lower', 'shoes', 'backpack', 'hat', 'bag',
         'strap', 'upper2', 'lower2')
"""Material slots of the mask, in mask-value order (``*2``: a garment's printed pattern)."""
SLOT = {name: i for i, name in enumerate(SLOTS)}
_SHIFT = 4  # cv2 sub-pixel bits
_ONE = 1 << _SHIFT


@dataclass
class CameraStyle:
    """What one camera does to every image it takes.

    Scale, placement and viewpoint statistics, a background canvas wider than an
    image (each image sees a random window of it), illumination or thermal gain,
    blur, noise and, for thermal sensors, a fixed column pattern.
    """
    index: int
    modality: int
    outdoor: bool
    fill: Tuple[float, float]
    yaw_modes: np.ndarray
    yaw_probs: np.ndarray
    yaw_jitter: float
    roll_jitter: float
    shift_jitter: float
    gain: float
    color_cast: np.ndarray
    offset: float
    blur: float
    noise: float
    column_noise: np.ndarray
    jpeg_quality: int
    background: np.ndarray = field(repr=False)


def _smooth_field(rng: np.random.Generator, shape: Tuple[int, int], cells: Tuple[int, int],
                  channels: int = 1) -> np.ndarray:
    """Low-frequency noise in [-1, 1]: a coarse random grid upsampled bicubically."""
    grid = rng.uniform(-1, 1, (cells[0], cells[1], channels)).astype(np.float32)
    out = cv2.resize(grid, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)
    return out.reshape(shape[0], shape[1], channels)


def _background_canvas(rng: np.random.Generator, height: int, width: int, outdoor: bool,
                       thermal: bool) -> np.ndarray:
    """A camera's scene: wall or vegetation, a floor, a few objects, soft texture.

    Returns an ``height x width x C`` float32 canvas (C = 1 thermal, 3 BGR) in [0, 1].
    """
    channels = 1 if thermal else 3
    floor_y = int(height * rng.uniform(0.62 if outdoor else 0.72, 0.88))

    def level(base: Tuple[float, float]) -> np.ndarray:
        """A grey level in ``base``; for colour, tinted a little (real scenes are muted)."""
        if thermal:
            return np.array([rng.uniform(*base)])
        return np.clip(rng.uniform(*base) * (1 + rng.uniform(-0.2, 0.2, 3)), 0, 1)

    wall_level = (0.15, 0.3) if thermal and outdoor else (0.28, 0.42) if thermal else (0.3, 0.75)
    canvas = np.empty((height, width, channels), np.float32)
    canvas[:floor_y] = level(wall_level)
    canvas[floor_y:] = level((0.2, 0.4) if thermal else (0.2, 0.6))
    for _ in range(rng.integers(3, 8)):  # doors, windows, pillars, bushes, lamps
        x0 = int(rng.uniform(0, width))
        w = int(rng.uniform(0.1, 0.5) * height)
        y0 = int(rng.uniform(0, floor_y * 0.7))
        h = int(rng.uniform(0.2, 0.9) * floor_y)
        value = level((0.1, 0.75) if thermal else (0.05, 0.95))
        if outdoor and not thermal and rng.random() < 0.5:
            value = np.array([0.2, 0.5, 0.25]) * rng.uniform(0.5, 1.2)  # greenery (BGR)
        canvas[y0:min(y0 + h, floor_y), x0:x0 + w] = value
    texture = _smooth_field(rng, (height, width), (max(2, height // 12), max(2, width // 12)))
    canvas += 0.08 * texture
    return np.clip(canvas, 0, 1)


def make_camera(index: int, modality: int, outdoor: bool, size: Tuple[int, int],
                supersample: int, rng: np.random.Generator) -> CameraStyle:
    """Draw one camera's style.

    Args:
        index (int): Camera number (as in ``cam<index>``).
        modality (int): ``VISIBLE`` or ``INFRARED``.
        outdoor (bool): Outdoor scene (brighter, vegetation, colder for thermal).
        size (tuple[int, int]): Output image size ``(height, width)``.
        supersample (int): Drawing resolution factor.
        rng (np.random.Generator): Source of randomness.

    Returns:
        CameraStyle: The camera.
    """
    if modality not in (VISIBLE, INFRARED):
        raise ValueError(f'modality must be {VISIBLE} or {INFRARED}, got {modality!r}')
    height, width = size[0] * supersample, size[1] * supersample
    thermal = modality == INFRARED
    centre = rng.uniform(0.8, 0.92)
    return CameraStyle(
        index=index,
        modality=modality,
        outdoor=outdoor,
        fill=(centre - 0.05, min(0.97, centre + 0.05)),
        yaw_modes=np.array([0.0, np.pi, np.pi / 2, -np.pi / 2]) + rng.normal(0, 0.3),
        yaw_probs=rng.dirichlet([2.0, 2.0, 1.0, 1.0]),
        yaw_jitter=rng.uniform(0.2, 0.45),
        roll_jitter=rng.uniform(0.0, 0.05),
        shift_jitter=rng.uniform(0.02, 0.06),
        gain=rng.uniform(0.8, 1.2) if thermal else rng.uniform(0.65, 1.25),
        color_cast=np.ones(3) if thermal else rng.uniform(0.85, 1.15, 3),
        offset=rng.uniform(-0.08, 0.08) if thermal else 0.0,
        blur=rng.uniform(0.5, 1.0) if thermal else rng.uniform(0.2, 0.7),
        noise=rng.uniform(0.015, 0.04) if thermal else rng.uniform(0.008, 0.025),
        column_noise=(rng.normal(0, rng.uniform(0.005, 0.02), size[1]) if thermal
                      else np.zeros(size[1])).astype(np.float32),
        jpeg_quality=int(rng.integers(80, 96)),
        background=_background_canvas(rng, height, 3 * width, outdoor, thermal))


def sample_poses(camera: CameraStyle, num: int, rng: np.random.Generator) -> BodyPoses:
    """``num`` gait phases and viewing directions typical of ``camera``."""
    mode = rng.choice(len(camera.yaw_modes), size=num, p=camera.yaw_probs)
    return BodyPoses(phase=rng.uniform(0, 2 * np.pi, num),
                     yaw=camera.yaw_modes[mode] + rng.normal(0, camera.yaw_jitter, num))


class _Parts:
    """Collects the body parts of a series of ``n`` images: 3-D points plus how to paint them."""

    def __init__(self, num: int):
        self.num = num
        self.points: List[np.ndarray] = []
        self.parts: List[tuple] = []
        self.anchors: List[Optional[np.ndarray]] = []
        self.biases: List[np.ndarray] = []
        self.size = 0

    def add(self, slot: str, kind: str, points, width: float = 0.0, bias=0.0,
            anchor: Optional[np.ndarray] = None):
        """Add a ``'line'`` (polyline of width ``width``), ``'hull'`` or ``'ellipse'``.

        ``points`` is ``k x 3`` (the same in every image) or ``n x k x 3``. An
        ellipse is given by three points: centre, end of one half-axis, end of
        the other half-axis (measured after projection). Parts are painted far
        to near by the depth of ``anchor`` (``n x 3`` or ``3``; default: the
        mean of their own points) plus ``bias`` (scalar or ``n``); parts sharing
        an anchor keep the order in which they were added.
        """
        points = np.asarray(points, dtype=np.float64)
        points = np.broadcast_to(points, (self.num, ) + points.shape[-2:])
        self.points.append(points)
        self.parts.append((SLOT[slot], kind, self.size, self.size + points.shape[1], width))
        self.anchors.append(anchor)
        self.biases.append(np.broadcast_to(np.asarray(bias, dtype=np.float64), (self.num, )))
        self.size += points.shape[1]

    def all_points(self) -> np.ndarray:
        """``n x P x 3``: every part's points, concatenated."""
        return np.concatenate(self.points, axis=1)

    def depth_anchors(self, points: np.ndarray) -> np.ndarray:
        """``n x parts x 3``: one depth anchor per image and part."""
        starts = [part[2] for part in self.parts]
        means = np.add.reduceat(points, starts, axis=1)
        means /= np.diff(starts + [self.size])[None, :, None]
        for i, anchor in enumerate(self.anchors):
            if anchor is not None:
                means[:, i] = anchor
        return means


_BOX_SIGNS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)],
                      dtype=np.float64)


def _box(center, half) -> np.ndarray:
    """The 8 corners of an axis-aligned 3-D box (``center``: ``3`` or ``n x 3``)."""
    return np.asarray(center, dtype=np.float64)[..., None, :] + _BOX_SIGNS * np.asarray(half)


def _body_parts(p: PersonTraits, joints: np.ndarray, yaw: np.ndarray) -> _Parts:
    """Every painted part of a person in ``n`` poses, in the body frame (before the yaw turn)."""
    parts = _Parts(len(joints))
    hip_y = p.leg
    td = p.torso_depth / 2
    shoulder_y = joints[0, R_SHOULDER, 1]

    def screen(vector) -> np.ndarray:
        """Body-frame vectors that the yaw turn maps onto ``vector`` (round things stay round)."""
        return turn(np.broadcast_to(np.asarray(vector, dtype=np.float64), (len(yaw), 3)), -yaw)

    # legs (always behind the torso): skin, then garments, then shoes
    for hip, knee, ankle in ((R_HIP, R_KNEE, R_ANKLE), (L_HIP, L_KNEE, L_ANKLE)):
        leg = joints[:, [hip, knee, ankle]]
        anchor = leg.mean(1)
        parts.add('skin', 'line', leg, p.leg_thickness * 0.85, -0.3, anchor)
        if p.lower_cut == 'trousers':
            parts.add('lower', 'line', leg, p.leg_thickness, -0.3, anchor)
        elif p.lower_cut == 'shorts':
            thigh = np.stack([leg[:, 0], leg[:, 0] + 0.6 * (leg[:, 1] - leg[:, 0])], 1)
            parts.add('lower', 'line', thigh, p.leg_thickness * 1.1, -0.3, anchor)
        foot = joints[:, ankle] + (0, -0.015, 0.06)
        parts.add('shoes', 'line', np.stack([joints[:, ankle], foot], 1), p.leg_thickness * 0.8,
                  -0.3, anchor)
    hw = p.hip_width / 2 + p.leg_thickness / 2
    if p.lower_cut == 'skirt':
        parts.add('lower', 'hull', np.concatenate([
            _box((0, hip_y + 0.02, 0), (hw, 0.001, td)),
            _box((0, hip_y - 0.2, 0.01), (hw + 0.07, 0.001, td + 0.05))]), bias=-0.2)
    else:
        parts.add('lower', 'hull', np.concatenate([
            _box((0, hip_y + 0.03, 0), (hw, 0.001, td)),
            _box((0, hip_y - 0.08, 0), (hw * 0.8, 0.001, td))]), bias=-0.2)
    # neck and torso (upper garment), its length set by the garment cut
    parts.add('skin', 'line', joints[:, [UPPER_NECK, THORAX]], p.head * 0.45, -0.05)
    top = lean_forward(_box((0, shoulder_y, 0), (p.shoulder_width / 2 + 0.01, 0.001, td)),
                       p.lean, hip_y)
    bottom_y, bottom_w = {'waist': (hip_y + 0.03, hw), 'hip': (hip_y - 0.04, hw + 0.01),
                          'coat': (hip_y - 0.2, hw + 0.05)}[p.upper_length]
    bottom = _box((0, bottom_y, 0), (bottom_w, 0.001, td + (0.02 if bottom_y < hip_y else 0)))
    parts.add('upper', 'hull', np.concatenate([top, bottom]))
    # backpack behind the back, straps over the chest, bags
    if p.backpack:
        bw, bh, bd = p.backpack_size
        centre = lean_forward(np.array([0, shoulder_y - 0.03 - bh / 2, -td - bd / 2]), p.lean,
                              hip_y)
        parts.add('backpack', 'hull', _box(centre, (bw / 2, bh / 2, bd / 2)))
        for side in (-1, 1):
            strap = lean_forward(np.array([[side * p.shoulder_width / 4, shoulder_y, td],
                                           [side * p.shoulder_width / 3, hip_y + 0.12, td]]),
                                 p.lean, hip_y)
            parts.add('strap', 'line', strap, 0.018, 0.01)
    if p.bag == 'shoulder':
        strap = lean_forward(np.array([[-p.bag_side * p.shoulder_width / 2.5, shoulder_y, td],
                                       [p.bag_side * hw, hip_y + 0.06, td]]), p.lean, hip_y)
        parts.add('strap', 'line', strap, 0.015, 0.01)
        parts.add('bag', 'hull', _box((p.bag_side * (hw + 0.03), hip_y + 0.02, 0),
                                      (0.025, 0.06, 0.08)), bias=0.05)
    elif p.bag == 'hand':
        wrist = joints[:, R_WRIST if p.bag_side < 0 else L_WRIST]
        parts.add('bag', 'hull', _box(wrist + (0, -0.07, 0), (0.025, 0.065, 0.08)), bias=0.12)
    # arms: skin, then sleeves, then hands
    sleeve = {'long': 1.0, 'short': 0.55, 'none': 0.12}[p.sleeves]
    for shoulder, elbow, wrist in ((R_SHOULDER, R_ELBOW, R_WRIST), (L_SHOULDER, L_ELBOW, L_WRIST)):
        arm = joints[:, [shoulder, elbow, wrist]]
        anchor = arm.mean(1)
        parts.add('skin', 'line', arm, p.arm_thickness * 0.85, 0.05, anchor)
        covered = arm if sleeve == 1.0 else np.stack(
            [arm[:, 0], arm[:, 0] + sleeve * (arm[:, 1] - arm[:, 0])], 1)
        parts.add('upper', 'line', covered, p.arm_thickness * (1.0 if sleeve == 1.0 else 1.15),
                  0.05, anchor)
        hand = np.stack([arm[:, 2], arm[:, 2] + 0.3 * (arm[:, 2] - arm[:, 1])], 1)
        parts.add('skin', 'line', hand, p.arm_thickness * 0.9, 0.05, anchor)
    # head: long hair behind it, the hair volume, the face when it turns to us, a cap
    head_c = (joints[:, HEAD_TOP] + joints[:, UPPER_NECK]) / 2
    rx, ry = p.head * 0.4, p.head / 2
    if p.long_hair:
        parts.add('hair', 'hull', np.concatenate(
            [_box(head_c + (0, 0, -0.04), (rx * 1.05, 0.001, 0.01)),
             _box(joints[:, THORAX] + (0, -0.07, -td), (rx * 1.2, 0.001, 0.01))], axis=1),
                  bias=-0.02)
    parts.add('hair', 'ellipse', np.stack([head_c, head_c + screen((rx * 1.08, 0, 0)),
                                           head_c + (0, ry * 1.05, 0)], 1), bias=0.3,
              anchor=head_c)
    facing = np.cos(yaw)
    face_c = head_c + (0, -0.15 * ry, 0.35 * rx)
    face_x = screen(np.stack([rx * (0.4 + 0.45 * np.maximum(facing, 0)), 0 * facing,
                              0 * facing], 1))
    # a face turned away is painted first, so that the hair hides it
    parts.add('skin', 'ellipse', np.stack([face_c, face_c + face_x, face_c + (0, ry * 0.8, 0)], 1),
              bias=np.where(facing > -0.1, 0.3, -10.0), anchor=head_c)
    if p.hat:
        cap_c = joints[:, HEAD_TOP] + (0, -0.25 * ry, 0)
        parts.add('hat', 'ellipse', np.stack([cap_c, cap_c + screen((rx * 1.15, 0, 0)),
                                              cap_c + (0, ry * 0.5, 0)], 1), bias=0.3,
                  anchor=head_c)
        brim = cap_c + (0, -0.3 * ry, 0)
        parts.add('hat', 'line', np.stack([brim, brim + (0, 0, rx * 1.6)], 1), 0.02, 0.3, head_c)
    return parts


@dataclass
class PersonLayout:
    """One drawn person at the drawing resolution, shared by both sensors.

    Attributes:
        mask (np.ndarray): ``H x W`` uint8 slot ids (``SLOTS``), prints included.
        keypoints (np.ndarray): 16 x 3 MPII joints (x, y, score) in output pixels.
        window (int): Left edge of the camera background window.
        shade (np.ndarray): Per-column light falloff across the person (length W).
    """
    mask: np.ndarray
    keypoints: np.ndarray
    window: int
    shade: np.ndarray


def layout_series(person: PersonTraits, poses: BodyPoses, camera: CameraStyle,
                  size: Tuple[int, int], supersample: int,
                  rng: np.random.Generator) -> List[PersonLayout]:
    """Place and draw a person in ``len(poses)`` images as ``camera`` would frame them.

    Geometry is computed for the whole series at once; only the painting is
    done image by image. Each person is scaled so that its whole drawing fills
    ``camera.fill`` of the image height (never more than the width), stands
    near the bottom and is shifted sideways by the camera's jitter, so every
    joint lies inside the image.

    Args:
        person (PersonTraits): Who.
        poses (BodyPoses): Gait phase and viewing direction of each image.
        camera (CameraStyle): Framing statistics and background.
        size (tuple[int, int]): Output ``(height, width)``.
        supersample (int): Drawing resolution factor.
        rng (np.random.Generator): Source of randomness.

    Returns:
        list[PersonLayout]: One drawn person per pose.
    """
    num = len(poses)
    height, width = size[0] * supersample, size[1] * supersample
    joints = skeleton(person, poses.phase)
    parts = _body_parts(person, joints, poses.yaw)
    body_points = parts.all_points()
    roll = rng.normal(0, camera.roll_jitter, num)

    def project(points: np.ndarray) -> np.ndarray:
        """Turn, drop depth, flip y to image rows, roll: ``n x k x 3`` -> ``n x k x 2``."""
        turned = turn(points, poses.yaw)
        c, s = np.cos(roll)[:, None], np.sin(roll)[:, None]
        x, y = turned[..., 0], -turned[..., 1]
        return np.stack([c * x - s * y, s * x + c * y], axis=-1)

    flat = project(body_points)
    margin = max(person.leg_thickness, person.arm_thickness) / 2
    lo, hi = flat.min(1) - margin, flat.max(1) + margin
    scale = rng.uniform(*camera.fill, num) * height / (hi[:, 1] - lo[:, 1])
    scale = np.minimum(scale, 0.96 * width / (hi[:, 0] - lo[:, 0]))
    box = (hi - lo) * scale[:, None]
    free_x = np.maximum(0.0, width - box[:, 0])
    x0 = np.clip(free_x / 2 + rng.normal(0, camera.shift_jitter * width, num), 0, free_x)
    y0 = np.maximum(0.0, height - box[:, 1] - rng.uniform(0.01, 0.04, num) * height)
    offset = np.stack([x0, y0], 1) - lo * scale[:, None]
    xy = flat * scale[:, None, None] + offset[:, None]
    joints_px = project(joints) * scale[:, None, None] + offset[:, None]
    depth = turn(parts.depth_anchors(body_points), poses.yaw)[..., 2] + np.stack(parts.biases, 1)
    fixed = np.round(xy * _ONE).astype(np.int32)
    widths = np.array([part[4] for part in parts.parts])
    thickness = np.maximum(1, np.round(widths[None] * scale[:, None])).astype(int)
    windows = rng.integers(0, camera.background.shape[1] - width + 1, num)
    light = rng.uniform(-0.25, 0.25, num)
    squeeze = np.maximum(np.abs(np.cos(poses.yaw)), 0.35)
    keypoints = np.ones((num, joints.shape[1], 3), np.float32)
    keypoints[..., :2] = (joints_px + 0.5) / supersample - 0.5
    layouts = []
    for n in range(num):
        mask = np.zeros((height, width), np.uint8)
        for i in np.argsort(depth[n], kind='stable'):
            slot, kind, start, stop = parts.parts[i][:4]
            pts = fixed[n, start:stop]
            if kind == 'line':
                cv2.polylines(mask, [pts], False, slot, int(thickness[n, i]), cv2.LINE_8, _SHIFT)
            elif kind == 'hull':
                cv2.fillConvexPoly(mask, cv2.convexHull(pts), slot, cv2.LINE_8, _SHIFT)
            else:
                centre, ax, ay = xy[n, start:stop]
                axes = (max(1, int(np.hypot(*(ax - centre)) * _ONE)),
                        max(1, int(np.hypot(*(ay - centre)) * _ONE)))
                cv2.ellipse(mask, (int(pts[0, 0]), int(pts[0, 1])), axes,
                            float(np.degrees(roll[n])), 0, 360, slot, -1, cv2.LINE_8, _SHIFT)
        region_box = (int(x0[n]), int(y0[n]), min(width, int(np.ceil(x0[n] + box[n, 0])) + 1),
                      min(height, int(np.ceil(y0[n] + box[n, 1])) + 1))
        region = mask[region_box[1]:region_box[3], region_box[0]:region_box[2]]
        for slot, pattern, frequency, origin in (
                ('upper', person.upper_pattern, person.pattern_frequency, joints_px[n, THORAX]),
                ('lower', person.lower_pattern, person.lower_pattern_frequency,
                 joints_px[n, PELVIS])):
            printed = pattern_mask(pattern, frequency, (origin, scale[n], roll[n], squeeze[n]),
                                   region_box)
            if printed is not None:
                region[printed & (region == SLOT[slot])] = SLOT[slot + '2']
        across = (np.arange(width) - (x0[n] + box[n, 0] / 2)) / max(box[n, 0], 1.0)
        layouts.append(PersonLayout(mask=mask, keypoints=keypoints[n], window=int(windows[n]),
                                    shade=(1 + light[n] * across).astype(np.float32)))
    return layouts


def pattern_mask(pattern: str, frequency: float, frame: tuple,
                 box: Tuple[int, int, int, int]) -> Optional[np.ndarray]:
    """Where a garment's second (printed) material shows, or None for a solid garment.

    Patterns are painted in a body-fixed frame (origin at the thorax or pelvis,
    units of body height, vertical stripes squeezed when the body turns away),
    so the same stripes, checks or bands appear in every view and modality.

    Args:
        pattern (str): One of ``body.UPPER_PATTERNS``.
        frequency (float): Cycles per body height.
        frame (tuple): ``(origin_xy, pixels_per_body_height, roll, squeeze)``.
        box (tuple): ``(x0, y0, x1, y1)`` pixel region to evaluate.

    Returns:
        np.ndarray | None: Boolean ``(y1 - y0) x (x1 - x0)`` map.
    """
    if pattern == 'solid':
        return None
    (ox, oy), scale, roll, squeeze = frame
    dx = ((np.arange(box[0], box[2]) - ox) / scale)[None, :]
    dy = ((np.arange(box[1], box[3]) - oy) / scale)[:, None]
    c, s = np.cos(roll), np.sin(roll)
    u = (c * dx + s * dy) / squeeze
    v = -s * dx + c * dy
    w = 2 * np.pi * frequency
    if pattern == 'hstripes':
        return np.sin(w * v) > 0
    if pattern == 'vstripes':
        return np.sin(w * u) > 0
    if pattern == 'checks':
        return (np.sin(w * u) > 0) ^ (np.sin(w * v) > 0)
    if pattern == 'diagonal':
        return np.sin(w * (u + v) / np.sqrt(2)) > 0
    if pattern == 'dots':
        return np.cos(w * u) * np.cos(w * v) > 0.5
    if pattern == 'band':
        return np.abs(v - 0.1) < 0.035
    if pattern == 'twotone':
        return v > 0.17
    raise ValueError(f'unknown garment pattern {pattern!r}')


def _paint(layout: PersonLayout, table: dict, background: np.ndarray) -> np.ndarray:
    """Each person pixel gets its slot's value (colour or heat), shaded; the rest the background."""
    lut = np.zeros((len(SLOTS), background.shape[2]), np.float32)
    for name, value in table.items():
        lut[SLOT[name]] = value
    mask = layout.mask
    image = np.take(lut, mask, axis=0) * layout.shade[None, :, None]
    image += background * (mask == 0)[..., None]
    return image


def _finish(image: np.ndarray, camera: CameraStyle, supersample: int,
            rng: np.random.Generator) -> np.ndarray:
    """Area-downsample, blur and noise an image in [0, 1]; returns float32 in [0, 255]."""
    height, width = image.shape[0] // supersample, image.shape[1] // supersample
    if supersample > 1:
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    image = image.reshape(height, width, -1)
    if camera.blur > 0:
        image = cv2.GaussianBlur(image, (0, 0), camera.blur).reshape(height, width, -1)
    image = image + rng.normal(0, camera.noise, image.shape).astype(np.float32)
    return image * 255


def _window(camera: CameraStyle, layout: PersonLayout) -> np.ndarray:
    width = layout.mask.shape[1]
    return camera.background[:, layout.window:layout.window + width]


def render_visible(person: PersonTraits, layout: PersonLayout, camera: CameraStyle,
                   supersample: int, rng: np.random.Generator) -> np.ndarray:
    """Colour image (BGR uint8, output size) of a laid-out person."""
    image = _paint(layout, person.colors, _window(camera, layout))
    image *= (camera.gain * rng.uniform(0.9, 1.1) * camera.color_cast).astype(np.float32)
    return np.clip(_finish(image, camera, supersample, rng) + 0.5, 0, 255).astype(np.uint8)


def render_thermal(person: PersonTraits, layout: PersonLayout, camera: CameraStyle,
                   supersample: int, rng: np.random.Generator) -> np.ndarray:
    """Thermal image of a laid-out person, one channel repeated 3 times (uint8)."""
    heat = _paint(layout, person.heat, _window(camera, layout))
    heat = (heat - 0.5) * camera.gain * rng.uniform(0.95, 1.05) + 0.5 + camera.offset
    single = _finish(heat, camera, supersample, rng)[..., 0] + camera.column_noise[None] * 255
    single = np.clip(single + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(single[..., None], 3, axis=2)


def render(person: PersonTraits, layout: PersonLayout, camera: CameraStyle, supersample: int,
           rng: np.random.Generator) -> np.ndarray:
    """Render with the camera's own sensor (visible or thermal)."""
    if camera.modality == INFRARED:
        return render_thermal(person, layout, camera, supersample, rng)
    return render_visible(person, layout, camera, supersample, rng)
