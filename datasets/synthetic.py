"""Synthetic pedestrian sequences with exact ground truth, for tests, demos and smoke tests.

People-like figures (head with hair, torso, swinging arms and legs; each person with their own
clothing colours, build and height) walk over a textured ground at varied speeds and
directions, enter and leave at the borders, and occlude each other: figures are drawn far to
near (by foot position), and ground truth records each full-body box (the tight box of the
whole rendered figure, also where it is hidden) with its visible fraction, MOT17 style.
Sizes follow a simple perspective: people lower in the frame are nearer and bigger.
With ``classes`` including "car", cars (:mod:`fairmot.datasets.synthetic_cars`) drive along the
ground, several times faster than people, in and out of view, occluding and occluded by them;
ground truth gives every row its class (MOT17's numbers: 1 person, 3 car) and ids are unique
across classes. Optional camera motion, by whole-pixel shifts of the view over a larger scene (so boxes stay
exact): shake (``jitter``) and a pan (``pan_speed``: the view sweeps half a frame width to the
right and back, a cosine in time, at most ``pan_speed`` pixels a frame); and pixel noise.

Everything is drawn with OpenCV from one ``np.random.Generator``: the same seed gives the
same bytes. See :func:`write_synthetic_dataset` for the on-disk layout.
"""
import contextlib
import math
import os
import shutil
from dataclasses import dataclass

import cv2
import numpy as np
from tqdm import tqdm

from fairmot.errors import UserError

from .convert_mot import SequencePart, convert_mot
from .jde_writer import check_new_dataset
from .synth_config import SYNTH_CLASSES, SynthConfig  # noqa: F401  (part of this module's API)
from .synthetic_cars import CAR_HEIGHT, Car, colour_car, draw_car, random_car_look

# part indices of a rendered figure (0 = not the figure); colours come from a palette
SKIN, HAIR, SHIRT, TRIM, TROUSERS, SHOES, BAG, HAT = range(1, 9)
NUM_PARTS = 9
SUBPIXEL_BITS = 4  # OpenCV drawing with fractional coordinates
SUB = 1 << SUBPIXEL_BITS


@dataclass
class Appearance:
    """What makes a person recognisable: colours (BGR palette by part), build, style."""

    palette: np.ndarray          # (NUM_PARTS, 3) uint8
    build: float                 # width factor
    scale: float                 # height factor
    long_hair: bool = False
    shirt_style: str = "plain"   # plain, stripes, jacket
    shorts: bool = False
    bag: bool = False
    hat: bool = False


@dataclass
class Walker:
    track_id: int
    look: Appearance
    x: float                     # foot position, canvas pixels
    y: float
    speed: float                 # metres per second (converted with the person's pixel height)
    heading: float               # radians, 0 = right, image-plane direction before foreshortening
    phase: float = 0.0
    box: tuple = (0, 0, 0, 0)    # last rendered tlwh, canvas pixels


def _hsv_to_bgr(h, s, v):
    hsv = np.array([[[h * 180 % 180, s * 255, v * 255]]], dtype=np.float32).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]


def random_appearance(rng, hue):
    """A distinct look: the shirt hue is given (spread over people), everything else drawn."""
    palette = np.zeros((NUM_PARTS, 3), dtype=np.uint8)
    skin_tones = [(190, 215, 245), (150, 185, 225), (115, 150, 200), (80, 110, 160), (55, 75, 110)]
    palette[SKIN] = np.clip(np.array(skin_tones[rng.integers(len(skin_tones))])
                            + rng.integers(-12, 13, 3), 0, 255)
    hair_tones = [(20, 20, 25), (30, 45, 70), (50, 90, 140), (120, 170, 210), (170, 170, 175),
                  (30, 50, 120)]
    palette[HAIR] = hair_tones[rng.integers(len(hair_tones))]
    if rng.random() < 0.15:  # white, grey or black shirt
        grey = rng.choice([30, 110, 200, 235])
        palette[SHIRT] = (grey, grey, grey)
    else:
        palette[SHIRT] = _hsv_to_bgr(hue, rng.uniform(0.45, 0.95), rng.uniform(0.4, 0.95))
    palette[TRIM] = _hsv_to_bgr(rng.random(), rng.uniform(0.2, 0.9), rng.uniform(0.15, 1.0))
    trousers = [(90, 50, 30), (30, 30, 30), (110, 110, 110), (140, 170, 190), (40, 60, 90),
                (60, 40, 20), (50, 90, 70)]
    palette[TROUSERS] = np.clip(np.array(trousers[rng.integers(len(trousers))])
                                + rng.integers(-20, 21, 3), 0, 255)
    palette[SHOES] = (30, 30, 30) if rng.random() < 0.7 else (225, 225, 225)
    palette[BAG] = _hsv_to_bgr(rng.random(), rng.uniform(0.3, 0.9), rng.uniform(0.2, 0.8))
    palette[HAT] = _hsv_to_bgr(rng.random(), rng.uniform(0.3, 0.9), rng.uniform(0.2, 0.9))
    return Appearance(palette=palette, build=rng.uniform(0.85, 1.15), scale=rng.uniform(0.88, 1.12),
                      long_hair=rng.random() < 0.3,
                      shirt_style=str(rng.choice(["plain", "plain", "stripes", "jacket"])),
                      shorts=rng.random() < 0.15, bag=rng.random() < 0.25, hat=rng.random() < 0.15)


def _pt(x, y):
    return int(round(x * SUB)), int(round(y * SUB))


def _limb(img, p, q, thickness, value):
    cv2.line(img, _pt(*p), _pt(*q), value, max(1, int(round(thickness))), cv2.LINE_8, SUBPIXEL_BITS)


def _ellipse(img, c, axes, value, angle=0.0, start=0, end=360):
    cv2.ellipse(img, _pt(*c), (int(axes[0] * SUB), int(axes[1] * SUB)), angle, start, end, value,
                -1, cv2.LINE_8, SUBPIXEL_BITS)


def draw_person(look, height, phase, direction, frac_x=0.0, frac_y=0.0):
    """Render a figure ``height`` px tall into a part-index patch.

    ``direction`` is +1 walking right, -1 left (sets the arm/leg swing and the bag side);
    ``frac_x``/``frac_y`` shift it by a sub-pixel amount. Returns ``(parts, (ax, ay))``: the
    uint8 patch of part indices and the integer patch pixel holding the foot point.
    """
    h = height
    pw, ph = int(math.ceil(0.8 * h)) + 4, int(math.ceil(h)) + 4
    ax, ay = pw // 2, ph - 2
    fx, fy = ax + frac_x, ay + frac_y - 0.5  # foot point (sole bottom) in patch pixels
    top = fy - h
    img = np.zeros((ph, pw), dtype=np.uint8)
    b = look.build
    swing = math.sin(phase)
    hip_y, shoulder_y = top + 0.5 * h, top + 0.165 * h
    leg_w, arm_w = 0.075 * h * b, 0.055 * h * b
    stride = 0.14 * h

    # legs: the feet swing forwards/backwards in opposite phase with the gait
    for side in (-1, 1):
        hip = (fx + side * 0.045 * h * b, hip_y)
        foot = (fx + side * 0.03 * h + direction * side * swing * stride, fy - 0.03 * h)
        knee = ((hip[0] + foot[0]) / 2, (hip[1] + foot[1]) / 2)
        _limb(img, hip, knee, leg_w, TROUSERS)
        _limb(img, knee, foot, leg_w * 0.9, SKIN if look.shorts else TROUSERS)
        _ellipse(img, (foot[0] + direction * 0.02 * h, fy - 0.02 * h), (0.05 * h, 0.022 * h), SHOES)
    if look.long_hair:
        _ellipse(img, (fx, top + 0.13 * h), (0.06 * h * b, 0.085 * h), HAIR)
    # torso: shoulders wider than hips
    sw, hw = 0.125 * h * b, 0.1 * h * b
    torso = np.array([_pt(fx - sw, shoulder_y), _pt(fx + sw, shoulder_y),
                      _pt(fx + hw, hip_y + 0.02 * h), _pt(fx - hw, hip_y + 0.02 * h)])
    cv2.fillConvexPoly(img, torso, SHIRT, cv2.LINE_8, SUBPIXEL_BITS)
    if look.shirt_style == "stripes":
        for k in range(4):
            t = (0.07 + 0.085 * k) / (0.5 - 0.165)  # stripe height along the torso, 0..1
            half = sw + (hw - sw) * t - 0.01 * h
            y = shoulder_y + t * (hip_y - shoulder_y)
            _limb(img, (fx - half, y), (fx + half, y), 0.03 * h, TRIM)
    elif look.shirt_style == "jacket":
        _limb(img, (fx, shoulder_y + 0.03 * h), (fx, hip_y), 0.05 * h, TRIM)
    if look.bag:
        bx = fx - direction * (sw + 0.02 * h)
        cv2.rectangle(img, _pt(bx - 0.05 * h, top + 0.38 * h), _pt(bx + 0.05 * h, top + 0.52 * h),
                      BAG, -1, cv2.LINE_8, SUBPIXEL_BITS)
    # arms swing against the legs; hands are skin
    for side in (-1, 1):
        shoulder = (fx + side * (sw - 0.2 * arm_w), shoulder_y + 0.02 * h)
        hand = (shoulder[0] + side * 0.03 * h - direction * side * swing * 0.09 * h,
                shoulder_y + 0.36 * h)
        elbow = ((shoulder[0] + hand[0]) / 2 + side * 0.012 * h, (shoulder[1] + hand[1]) / 2)
        _limb(img, shoulder, elbow, arm_w, SHIRT)
        _limb(img, elbow, hand, arm_w * 0.85, SHIRT if look.shirt_style != "plain" else SKIN)
        _ellipse(img, hand, (arm_w * 0.5, arm_w * 0.55), SKIN)
    # neck and head; hair covers the back/top of the head
    _limb(img, (fx, shoulder_y - 0.03 * h), (fx, shoulder_y + 0.01 * h), 0.05 * h, SKIN)
    head_c = (fx + direction * 0.006 * h, top + 0.068 * h)
    _ellipse(img, head_c, (0.048 * h, 0.066 * h), SKIN)
    _ellipse(img, (head_c[0] - direction * 0.01 * h, head_c[1] - 0.012 * h),
             (0.05 * h, 0.056 * h), HAIR, start=180, end=360)
    if look.hat:
        _ellipse(img, (head_c[0], top + 0.022 * h), (0.062 * h, 0.02 * h), HAT)
        _ellipse(img, (head_c[0], top + 0.03 * h), (0.047 * h, 0.03 * h), HAT, start=180, end=360)
    return img, (ax, ay)


def colour_person(parts, look):
    """BGR patch of a part-index patch: palette colours with cylinder-like side shading."""
    bgr = look.palette[parts].astype(np.float32)
    cols = np.flatnonzero(parts.any(0))
    if len(cols):
        centre, half = (cols[0] + cols[-1]) / 2, max(1.0, (cols[-1] - cols[0]) / 2)
        x = (np.arange(parts.shape[1]) - centre) / half
        shade = 1.05 - 0.3 * np.clip(x, -1, 1) ** 2
        bgr *= shade[None, :, None]
    return np.clip(bgr, 0, 255).astype(np.uint8)


def make_background(rng, width, height, horizon):
    """A textured scene: buildings behind the horizon, paved ground with patches and poles."""
    horizon_y = int(horizon * height)
    ground = _hsv_to_bgr(rng.uniform(0, 1), rng.uniform(0.05, 0.35), rng.uniform(0.35, 0.7))
    img = np.empty((height, width, 3), dtype=np.float32)
    img[:] = ground
    # low-frequency colour variation
    coarse = (rng.normal(0, 16, (5, 8, 1)) + rng.normal(0, 5, (5, 8, 3))).astype(np.float32)
    img += cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    # paving in perspective: rows closer together towards the horizon, lines converging
    if rng.random() < 0.7:
        line = np.clip(np.array(ground, np.float32) * rng.uniform(0.6, 0.85), 0, 255).tolist()
        y, step = float(horizon_y), 6.0
        while y < height:
            cv2.line(img, (0, int(y)), (width, int(y)), line, 1)
            y, step = y + step, step * 1.25
        vanish_x = rng.uniform(0.2, 0.8) * width
        for x in np.linspace(-width, 2 * width, int(rng.integers(10, 24))):
            cv2.line(img, (int(vanish_x + (x - vanish_x) * 0.15), horizon_y), (int(x), height),
                     line, 1)
    # patches: grass, puddles, covers (blended)
    for _ in range(int(rng.integers(8, 20))):
        colour = _hsv_to_bgr(rng.random(), rng.uniform(0, 0.6), rng.uniform(0.2, 0.9)).tolist()
        overlay = img.copy()
        cx, cy = int(rng.uniform(0, width)), int(rng.uniform(horizon_y, height))
        size = rng.uniform(8, 70) * (0.4 + (cy - horizon_y) / max(1, height - horizon_y))
        if rng.random() < 0.5:
            cv2.ellipse(overlay, (cx, cy), (int(size), int(size * rng.uniform(0.2, 0.5))), 0, 0,
                        360, colour, -1)
        else:
            cv2.rectangle(overlay, (cx, cy), (int(cx + size), int(cy + size * 0.4)), colour, -1)
        alpha = rng.uniform(0.25, 0.7)
        img = cv2.addWeighted(overlay, alpha, img, 1 - alpha, 0)
    # backdrop: sky and buildings with windows
    sky = _hsv_to_bgr(rng.uniform(0.5, 0.65), rng.uniform(0.1, 0.4), rng.uniform(0.7, 0.95))
    img[:horizon_y] = sky
    x = -int(rng.integers(0, 40))
    while x < width:
        bw = int(rng.integers(40, 140))
        top = int(rng.uniform(0.0, 0.7) * horizon_y)
        wall = _hsv_to_bgr(rng.random(), rng.uniform(0, 0.4), rng.uniform(0.3, 0.85)).tolist()
        cv2.rectangle(img, (x, top), (x + bw, horizon_y), wall, -1)
        win = np.clip(np.array(wall) * rng.uniform(0.3, 0.6), 0, 255).tolist()
        for wy in range(top + 6, horizon_y - 8, 14):
            for wx in range(x + 6, x + bw - 8, 14):
                cv2.rectangle(img, (wx, wy), (wx + 6, wy + 7), win, -1)
        x += bw + int(rng.integers(0, 20))
    # a few poles and benches standing on the ground (upright distractors)
    for _ in range(int(rng.integers(1, 4))):
        px, py = int(rng.uniform(0, width)), int(rng.uniform(horizon_y + 10, height))
        ph = int((0.3 + 0.7 * (py - horizon_y) / max(1, height - horizon_y)) * 0.45 * height)
        colour = _hsv_to_bgr(rng.random(), rng.uniform(0, 0.3), rng.uniform(0.1, 0.5)).tolist()
        if rng.random() < 0.5:
            cv2.rectangle(img, (px, py - ph), (px + max(2, ph // 25), py), colour, -1)
        else:
            cv2.rectangle(img, (px, py - ph // 5), (px + ph // 2, py - ph // 8), colour, -1)
    img += rng.normal(0, 4, img.shape).astype(np.float32)  # fine grain
    return np.clip(img, 0, 255).astype(np.uint8)


class SyntheticScene:
    """One sequence: walkers on a ground plane, stepped and rendered frame by frame."""

    def __init__(self, config, rng):
        self.cfg = config
        self.rng = rng
        self.margin = int(math.ceil(3 * config.jitter))
        # the pan sweeps pan_range pixels in pan_period frames; its speed peaks at pan_speed
        self.pan_range = config.width // 2 if config.pan_speed > 0 else 0
        self.pan_period = math.pi * self.pan_range / config.pan_speed if config.pan_speed > 0 else 0
        self.frame_index = 0
        self.canvas_w = config.width + 2 * self.margin + self.pan_range
        self.canvas_h = config.height + 2 * self.margin
        self.horizon_y = config.horizon * config.height + self.margin
        self.background = make_background(rng, self.canvas_w, self.canvas_h, self.horizon_y
                                          / self.canvas_h)
        noise_shape = (config.height + 32, config.width + 32, 3)
        self.noise_bank = ([rng.normal(0, config.noise, noise_shape).astype(np.float32)
                            for _ in range(4)] if config.noise > 0 else [])
        self.hue0 = rng.random()
        self.walkers = []
        self.next_id = 1
        self.offset = np.zeros(2)
        # a wider scene (pan) holds proportionally more people: the view keeps the density
        widen = self.canvas_w / (config.width + 2 * self.margin)
        self.mean_people = config.mean_people * widen if self.pan_range else config.mean_people
        self.max_people = int(round(config.max_people * widen)) if self.pan_range else config.max_people
        if "person" not in config.classes:
            self.mean_people = self.max_people = 0
        for _ in range(int(rng.poisson(self.mean_people))):
            self._spawn(inside=True)
        # cars draw from the generator only after everything a person-only scene draws: such a
        # scene stays what it always was
        self.cars = []
        self.mean_cars = config.mean_cars * widen if "car" in config.classes else 0.0
        if self.mean_cars:
            for _ in range(int(rng.poisson(self.mean_cars))):
                self._spawn_car(inside=True)

    def ground_height(self, y):
        """Pixel height of a standard person with feet on canvas row ``y``."""
        c = self.cfg
        t = (y - self.horizon_y) / (c.height + self.margin - self.horizon_y)
        return c.height * (c.far_height + (c.near_height - c.far_height) * t)

    def car_height(self, car):
        return CAR_HEIGHT * self.ground_height(car.y) * car.look.scale

    def _spawn_car(self, inside=False):
        if len(self.cars) >= self.cfg.max_cars:
            return
        rng = self.rng
        look = random_car_look(rng)
        # a lane: anywhere on the ground but the farthest strip
        y = rng.uniform(self.horizon_y + 0.12 * (self.canvas_h - self.horizon_y), self.canvas_h - 2)
        direction = 1 if rng.random() < 0.5 else -1
        length = look.length * CAR_HEIGHT * self.ground_height(y) * look.scale
        if inside:
            x = rng.uniform(0, self.canvas_w)
        else:
            x = -0.6 * length if direction > 0 else self.canvas_w + 0.6 * length
        self.cars.append(Car(self.next_id, look, x, y, speed=rng.uniform(4.0, 9.0), direction=direction))
        self.next_id += 1

    def _step_cars(self):
        c, rng = self.cfg, self.rng
        for car in self.cars:
            car.x += car.direction * car.speed * self.ground_height(car.y) / 1.7 / c.fps
        self.cars = [car for car in self.cars if not self._car_gone(car)]
        deficit = (self.mean_cars - len(self.cars)) / max(self.mean_cars, 1e-6)
        if rng.random() < np.clip(0.03 + 0.25 * deficit, 0, 0.5):
            self._spawn_car()

    def _car_gone(self, car):
        x, _, bw, _ = car.box
        if bw == 0:
            return False
        return (x + bw < 0 and car.direction < 0) or (x > self.canvas_w and car.direction > 0)

    def person_height(self, walker):
        """Pixel height at the walker's foot row (perspective: lower = nearer = bigger)."""
        c = self.cfg
        t = (walker.y - self.horizon_y) / (c.height + self.margin - self.horizon_y)
        return c.height * (c.far_height + (c.near_height - c.far_height) * t) * walker.look.scale

    def _spawn(self, inside=False):
        if len(self.walkers) >= self.max_people:
            return
        rng = self.rng
        hue = (self.hue0 + 0.618034 * self.next_id) % 1.0
        look = random_appearance(rng, hue)
        bottom = self.canvas_h
        y = rng.uniform(self.horizon_y + 4, bottom - 4)
        heading = rng.uniform(-0.6, 0.6)
        if inside:
            x = rng.uniform(0, self.canvas_w)
            if rng.random() < 0.5:
                heading += math.pi
        else:
            side = rng.random()
            if side < 0.45:
                x = -0.3 * self.cfg.height * self.cfg.near_height
            elif side < 0.9:
                x = self.canvas_w + 0.3 * self.cfg.height * self.cfg.near_height
                heading += math.pi
            else:  # from below, walking away from the camera
                x, y = rng.uniform(0.1, 0.9) * self.canvas_w, bottom + 0.25 * self.cfg.height
                heading = -math.pi / 2 + rng.uniform(-0.5, 0.5)
        walker = Walker(self.next_id, look, x, y, speed=rng.uniform(0.6, 2.0), heading=heading,
                        phase=rng.uniform(0, 2 * math.pi))
        self.next_id += 1
        self.walkers.append(walker)

    def step(self):
        """Advance one frame: move, turn a little, leave, enter, shake the camera."""
        c, rng = self.cfg, self.rng
        for w in self.walkers:
            h = self.person_height(w)
            px = w.speed * h / 1.7 / c.fps  # metres/s -> pixels/frame at this depth
            w.heading += rng.normal(0, 0.03) + (rng.normal(0, 0.6) if rng.random() < 0.004 else 0)
            dx, dy = math.cos(w.heading) * px, 0.45 * math.sin(w.heading) * px
            if w.y + dy < self.horizon_y + 2:  # far edge of the ground: turn back
                w.heading = -w.heading
                dy = -dy
            w.x += dx
            w.y += dy
            w.phase += 2 * math.pi * math.hypot(dx, dy) / (0.8 * h)
        self.walkers = [w for w in self.walkers if not self._gone(w)]
        deficit = (self.mean_people - len(self.walkers)) / max(self.mean_people, 1e-6)
        if rng.random() < np.clip(0.04 + 0.3 * deficit, 0, 0.6):
            self._spawn()
        if c.jitter > 0:
            self.offset = np.clip(0.6 * self.offset + rng.normal(0, c.jitter, 2),
                                  -self.margin, self.margin)
        if self.mean_cars or self.cars:
            self._step_cars()
        self.frame_index += 1

    def pan_offset(self):
        """Horizontal position of the view in the scene, pixels (0 without a pan)."""
        if not self.pan_range:
            return 0
        return int(round(self.pan_range * (1 - math.cos(2 * math.pi * self.frame_index / self.pan_period)) / 2))

    def _gone(self, w):
        x, y, bw, bh = w.box
        if bw == 0:
            return False
        outside = x + bw < 0 or x > self.canvas_w or y > self.canvas_h
        heading_out = ((x + bw < 0 and math.cos(w.heading) < 0)
                       or (x > self.canvas_w and math.cos(w.heading) > 0)
                       or (y > self.canvas_h and math.sin(w.heading) > 0))
        return outside and heading_out

    def render(self):
        """Draw the current frame.

        Returns ``(frame, rows, owner)``: the BGR uint8 frame; ground-truth rows
        ``(id, x, y, w, h, visibility, class)`` (full-body tlwh in frame pixels; class 1 person,
        3 car) for objects whose box centre is inside the frame; and an int32 map of the frame
        giving, per pixel, the id of the object seen there (0 = background).
        """
        c = self.cfg
        canvas = self.background.copy()
        owner = np.zeros(canvas.shape[:2], dtype=np.int32)
        order = sorted(self.walkers + self.cars, key=lambda w: w.y)  # far (small y) first
        figures = []
        for w in order:
            frac_x, frac_y = w.x - math.floor(w.x), w.y - math.floor(w.y)
            if isinstance(w, Car):
                parts, (ax, ay) = draw_car(w.look, self.car_height(w), w.direction, frac_x, frac_y)
            else:
                h = self.person_height(w)
                direction = 1 if math.cos(w.heading) >= 0 else -1
                parts, (ax, ay) = draw_person(w.look, h, w.phase, direction, frac_x, frac_y)
            x0, y0 = math.floor(w.x) - ax, math.floor(w.y) - ay
            rows, cols = np.flatnonzero(parts.any(1)), np.flatnonzero(parts.any(0))
            w.box = (x0 + cols[0], y0 + rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1)
            figures.append((w, parts, x0, y0))
        for w, _, _, _ in figures:  # shadows under everyone, before any figure
            x, y, bw, bh = w.box
            self._shadow(canvas, x + bw / 2, y + bh, bw * 0.9, bh * 0.05)
        for w, parts, x0, y0 in figures:
            bgr = colour_car(parts, w.look) if isinstance(w, Car) else colour_person(parts, w.look)
            self._paste(canvas, owner, parts, bgr, x0, y0, w.track_id)

        ox = self.margin + self.pan_offset() + int(round(self.offset[0]))
        oy = self.margin + int(round(self.offset[1]))
        frame = canvas[oy:oy + c.height, ox:ox + c.width]
        owner = owner[oy:oy + c.height, ox:ox + c.width]
        if self.noise_bank:
            noise = self.noise_bank[self.rng.integers(len(self.noise_bank))]
            nx, ny = self.rng.integers(0, 32, 2)
            frame = np.clip(frame + noise[ny:ny + c.height, nx:nx + c.width], 0, 255).astype(np.uint8)
        visible = np.bincount(owner.ravel(), minlength=self.next_id)
        rows = []
        for w, parts, _, _ in figures:
            x, y, bw, bh = w.box
            x, y = x - ox, y - oy
            if 0 <= x + bw / 2 <= c.width and 0 <= y + bh / 2 <= c.height:
                rows.append((w.track_id, x, y, bw, bh, visible[w.track_id] / np.count_nonzero(parts),
                             SYNTH_CLASSES["car" if isinstance(w, Car) else "person"]))
        return np.ascontiguousarray(frame), rows, owner

    @staticmethod
    def _shadow(canvas, cx, cy, width, height):
        x0, y0 = int(cx - width / 2) - 1, int(cy - height) - 1
        x1, y1 = int(cx + width / 2) + 2, int(cy + height) + 2
        x0c, y0c = max(x0, 0), max(y0, 0)
        x1c, y1c = min(x1, canvas.shape[1]), min(y1, canvas.shape[0])
        if x1c <= x0c or y1c <= y0c:
            return
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.ellipse(mask, (int(cx - x0), int(cy - y0)), (max(1, int(width / 2)), max(1, int(height))),
                    0, 0, 360, 1, -1)
        mask = mask[y0c - y0:y1c - y0, x0c - x0:x1c - x0].astype(bool)
        region = canvas[y0c:y1c, x0c:x1c]
        region[mask] = (region[mask] * 0.6).astype(np.uint8)

    @staticmethod
    def _paste(canvas, owner, parts, bgr, x0, y0, track_id):
        ph, pw = parts.shape
        cx0, cy0 = max(x0, 0), max(y0, 0)
        cx1, cy1 = min(x0 + pw, canvas.shape[1]), min(y0 + ph, canvas.shape[0])
        if cx1 <= cx0 or cy1 <= cy0:
            return
        sub = (slice(cy0 - y0, cy1 - y0), slice(cx0 - x0, cx1 - x0))
        mask = parts[sub] > 0
        canvas[cy0:cy1, cx0:cx1][mask] = bgr[sub][mask]
        owner[cy0:cy1, cx0:cx1][mask] = track_id


SEQINFO = """[Sequence]
name={name}
imDir=img1
frameRate={fps}
seqLength={frames}
imWidth={width}
imHeight={height}
imExt=.jpg
"""


def format_gt_row(frame, row):
    """MOT17-style ground-truth line: ``frame,id,x,y,w,h,1,class,visibility``."""
    track_id, x, y, w, h, vis, cls = row
    return f"{frame},{track_id},{x},{y},{w},{h},1,{cls},{vis:.4f}\n"


def write_sequence(seq_dir, config, seed, progress=None):
    """Render one sequence in MOTChallenge layout: ``img1/%06d.jpg``, ``gt/gt.txt``,
    ``seqinfo.ini``. ``seed`` is an int or a sequence of ints. Returns the number of gt rows.

    ``progress``: an optional tqdm bar advanced once per frame. Ground truth is appended frame
    by frame, so an interrupted run keeps a consistent prefix.
    """
    rng = np.random.default_rng(seed)
    scene = SyntheticScene(config, rng)
    name = os.path.basename(os.path.normpath(seq_dir))
    os.makedirs(os.path.join(seq_dir, "img1"), exist_ok=True)
    os.makedirs(os.path.join(seq_dir, "gt"), exist_ok=True)
    with open(os.path.join(seq_dir, "seqinfo.ini"), "w") as f:
        f.write(SEQINFO.format(name=name, fps=config.fps, frames=config.frames,
                               width=config.width, height=config.height))
    params = [cv2.IMWRITE_JPEG_QUALITY, config.jpeg_quality]
    count = 0
    with open(os.path.join(seq_dir, "gt", "gt.txt"), "w") as gt:
        for frame_no in range(1, config.frames + 1):
            if frame_no > 1:
                scene.step()
            frame, rows, _ = scene.render()
            cv2.imwrite(os.path.join(seq_dir, "img1", f"{frame_no:06d}.jpg"), frame, params)
            gt.write("".join(format_gt_row(frame_no, r) for r in rows))
            count += len(rows)
            if progress is not None:
                progress.update()
    return count


def check_config(config: SynthConfig) -> None:
    """UserError naming the first value a scene cannot be made with."""
    import math
    limits = [("frames", config.frames >= 1, "at least 1"),
              ("width", 64 <= config.width <= 8192, "between 64 and 8192"),
              ("height", 64 <= config.height <= 8192, "between 64 and 8192"),
              ("fps", config.fps > 0, "positive"),
              ("people", math.isfinite(config.mean_people) and config.mean_people >= 0, "a number >= 0"),
              ("jitter", math.isfinite(config.jitter) and config.jitter >= 0, "a number >= 0"),
              ("pan-speed", math.isfinite(config.pan_speed) and 0 <= config.pan_speed <= config.width / 8,
               f"between 0 and {config.width / 8:g} pixels a frame (an eighth of --width)"),
              ("noise", math.isfinite(config.noise) and config.noise >= 0, "a number >= 0"),
              ("classes", bool(config.classes) and set(config.classes) <= set(SYNTH_CLASSES)
               and len(set(config.classes)) == len(config.classes),
               f"some of {', '.join(SYNTH_CLASSES)}, each once")]
    for name, ok, what in limits:
        if not ok:
            raise UserError(f"--{name} must be {what}")


def write_synthetic_dataset(out_dir, sequences=4, seed=0, val_sequences=None, config=None,
                            name="synth", progress=True):
    """Write ``sequences`` synthetic sequences and everything needed to train on them.

    Layout of ``out_dir``: ``<name>-NN/`` MOTChallenge sequences (img1, gt/gt.txt, seqinfo.ini);
    ``images/<name>-NN/img1`` (links to those frames) and ``labels_with_ids/<name>-NN/img1/``
    (JDE); list files ``<name>.train`` (the first sequences) and ``<name>.val`` (the last
    ``val_sequences``, default 1 when there are at least 2, held out); ``data.json``.
    Sequence i is drawn from seed (seed, i): it does not depend on how many are written.
    Returns the ConversionSummary of the JDE conversion.
    """
    config = config or SynthConfig()
    if sequences < 1:
        raise UserError("--sequences must be at least 1")
    check_config(config)
    if val_sequences is None:
        val_sequences = 1 if sequences >= 2 else 0
    if not 0 <= val_sequences < sequences:
        raise UserError(f"--val-sequences must be between 0 and {sequences - 1} (some sequences "
                        f"must remain for training)")
    # everything a second run could write over is checked before the first frame is drawn
    check_new_dataset(os.path.abspath(out_dir), name)
    seq_dirs = [os.path.join(out_dir, f"{name}-{i:02d}") for i in range(sequences)]
    taken = [d for d in seq_dirs if os.path.lexists(d)]
    if taken:
        raise UserError(f"{taken[0]} already exists: pass another --name, or another output folder")
    new_folder = not os.path.lexists(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    try:
        bar = tqdm(total=sequences * config.frames, desc="synth", unit="frame", disable=not progress or None)
        with bar:
            for i, seq_dir in enumerate(seq_dirs):
                write_sequence(seq_dir, config, (seed, i), progress=bar)
        parts = [SequencePart(d, "val" if i >= sequences - val_sequences else "train", 1, config.frames)
                 for i, d in enumerate(seq_dirs)]
        return convert_mot(parts, out_dir, name, gt_format="mot16", progress=False,
                           classes=tuple(SYNTH_CLASSES[c] for c in config.classes))
    except BaseException:
        # a dataset cut short is of no use: remove what this run drew (nothing was there before)
        for seq_dir in seq_dirs:
            shutil.rmtree(seq_dir, ignore_errors=True)
        if new_folder:
            with contextlib.suppress(OSError):
                os.rmdir(out_dir)
        raise
