"""Session-state keys, named once so pages and tests agree on them."""

# Review
REVIEW_STATUS = "review_status"
REVIEW_CAMERAS = "review_cameras"
REVIEW_DATES = "review_dates"
REVIEW_SKIPPED = "review_skipped"
REVIEW_NOTICE = "review_notice"
REVIEW_PHOTO = "review_photo"
REVIEW_SEX_AGE = "review_sex_age"
REVIEW_PICK = "review_pick"  # prefix: review_pick_0 .. review_pick_4
REVIEW_OTHER_DEER = "review_other_deer"

# Individuals
DEER_SELECTED = "deer_selected"
DEER_SEARCH = "deer_search"
DEER_RENAME = "deer_rename"
DEER_NOTES = "deer_notes"
DEER_MERGE_WITH = "deer_merge_with"
DEER_MOVE_DETECTION = "deer_move_detection"
DEER_MOVE_TARGET = "deer_move_target"
DEER_NOTICE = "deer_notice"

# Similarity
SIM_MODEL = "sim_model"
SIM_CAMERAS = "sim_cameras"
SIM_DATES = "sim_dates"
SIM_BINS = "sim_bins"
SIM_VIEW = "sim_view"  # counts | density | log

# Threshold
THR_SLIDER = "thr_slider"
THR_GOAL = "thr_goal"
THR_TARGET = "thr_target_precision"
THR_REMATCH = "thr_rematch"
THR_NOTICE = "thr_notice"
THR_RANGE = "thr_range"  # the slider's span: (low, high)

# Exports
EXPORT_JOB = "export_job"
EXPORT_ERRORS = "export_errors"

# Import
IMPORT_JOB = "import_job"
IMPORT_FOLDER = "import_folder"
IMPORT_MD = "import_md"

# Jobs
JOBS_NOTICE = "jobs_notice"
REVIEW_SEEN = "review_seen"  # (track key, TrackRef) the reviewer was shown

# The review desk
REVIEW_MODE = "review_mode"  # compare | photo | boxes
REVIEW_CAND = "review_cand"  # index of the candidate compared
REVIEW_PICTURE = "review_picture"  # prefix + track: which picture of the candidate
REVIEW_FRAME = "review_frame"  # prefix + track: which frame of the burst
REVIEW_ZOOM = "review_zoom"
REVIEW_FOCUS = "review_focus"
BOX_PICK = "box_pick"  # prefix + image: the box being corrected
BOX_EDIT = "box_edit"  # prefix: box_edit_x / _y / _w / _h (percent of the photo)
DEER_SPLIT = "deer_split"  # prefix + deer: sightings picked for a split

# Audit trail
AUDIT_USER = "audit_user"
AUDIT_ACTION = "audit_action"
AUDIT_NOTICE = "audit_notice"

# Import: layouts and the demo
IMPORT_LAYOUT = "import_layout"
IMPORT_DEPLOYMENTS = "import_deployments"
DEMO_NOTICE = "demo_notice"

# Import: detector, static boxes, times
DETECT_JOB = "detect_job"
FIELD_NOTICE = "field_notice"

# Models
MODELS_NOTICE = "models_notice"
TRAIN_JOB = "train_job"
SWITCH_JOB = "switch_job"
# Provenance: one "confirmed only" choice shared by every page that counts individuals
CONFIRMED_ONLY = "confirmed_only"  # the choice (kept while pages that show no toggle run)
CONFIRMED_ONLY_TOGGLE = "confirmed_only_toggle"  # prefix + page: the widget

# Overview: the station map
OV_STATION = "ov_station"  # the station the Overview is filtered to (None: all)
OV_MAP = "ov_map"  # the map's selection state
OV_MAP_SEEN = "ov_map_seen"  # the last map click acted on

# Population
POP_OCCASION = "pop_occasion"

# Exports: the scores exports' filters
EXPORT_CONFIRMED = "export_confirmed_only"
