from django import forms

from network_portal import uploads
from network_portal.event_changes import ChangeRefused
from network_portal.uploads import FileOrLinkForm, UploadField

from .models import Feedback, Meeting, Paper, Registration
from .services import RESERVED_SLUGS, meeting_change_check

WAITLIST = "waitlist"


class ModeField(forms.ChoiceField):
    widget = forms.RadioSelect

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.also_valid: set[str] = set()

    def valid_value(self, value):
        return value in self.also_valid or super().valid_value(value)


class RegistrationForm(forms.Form):
    """How the member will attend. When in-person seats are gone, "in person"
    becomes "join the in-person waiting list"."""

    mode = ModeField(label="How will you attend?")
    access_needs = forms.CharField(
        label="Access, dietary or other needs (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only the Thrive LDN team sees this.",
    )

    def __init__(self, *args, meeting: Meeting, seats_left: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if meeting.has_in_person:
            if seats_left == 0:
                choices.append((WAITLIST, "In person: join the waiting list (all seats are taken)"))
                # The seats may have gone after the member opened the page: the service then
                # says so and this form is shown again with the waiting list and online.
                self.fields["mode"].also_valid = {Registration.Mode.IN_PERSON}
            else:
                where = f" at {meeting.venue_name}" if meeting.venue_name else ""
                choices.append((Registration.Mode.IN_PERSON, f"In person{where}"))
        if meeting.has_online:
            choices.append((Registration.Mode.ONLINE, "Online"))
        self.fields["mode"].choices = choices
        if len(choices) == 1:
            self.fields["mode"].initial = choices[0][0]

    @property
    def service_kwargs(self) -> dict:
        choice = self.cleaned_data["mode"]
        return {
            "mode": Registration.Mode.IN_PERSON if choice == WAITLIST else choice,
            "waitlist_ok": choice == WAITLIST,
            "access_needs": self.cleaned_data["access_needs"],
        }


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = Feedback
        fields = ["usefulness", "topics_next_time", "comments"]
        labels = {
            "usefulness": "How useful was the meeting?",
            "topics_next_time": "What should the network discuss next time? (optional)",
            "comments": "Anything else you would like to tell us? (optional)",
        }
        widgets = {
            "usefulness": forms.RadioSelect,
            "topics_next_time": forms.Textarea(attrs={"rows": 3}),
            "comments": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Drop the blank "---------" option the radio list would otherwise show.
        self.fields["usefulness"].choices = Feedback.Usefulness.choices


class PaperAdminForm(FileOrLinkForm):
    """A paper is either an uploaded file (checked by network_portal.uploads) or a link.

    The form only validates; MeetingAdmin.save_formset stores the file through
    services.paper_save."""

    link = forms.URLField(
        required=False, max_length=500, assume_scheme="https", help_text=Paper._meta.get_field("link").help_text
    )
    upload = UploadField(
        label="File",
        required=False,
        help_text=f"{uploads.allowed_types_text()}. Replaces the current file.",
    )
    what = "A paper"

    class Meta:
        model = Paper
        fields = ["title", "kind", "visibility", "upload", "link", "position"]


class MeetingAdminForm(forms.ModelForm):
    # Links typed without a scheme are taken as https, as Django 6 will do.
    joining_url = forms.URLField(
        label="Joining link",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=Meeting._meta.get_field("joining_url").help_text,
    )
    recording_url = forms.URLField(label="Recording link", required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Meeting
        fields = [
            "title",
            "slug",
            "chair",
            "summary",
            "agenda",
            "starts_at",
            "ends_at",
            "registration_closes_at",
            "format",
            "venue_name",
            "venue_address",
            "in_person_capacity",
            "joining_url",
            "joining_notes",
            "minutes",
            "recording_url",
            "cancellation_reason",
        ]

    def _post_clean(self):
        # The instance holds the edited values only after the model form's own cleaning.
        super()._post_clean()
        if self.instance.pk is not None and not self.errors:
            try:
                meeting_change_check(meeting=self.instance)
            except ChangeRefused as refusal:
                self.add_error(None, refusal.message)

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(f"“{slug}” is used by another page: choose another web address.")
        return slug


class CancelMeetingForm(forms.Form):
    reason = forms.CharField(
        label="Reason (included in the notice to registrants)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
