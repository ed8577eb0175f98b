from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.db import transaction
from django.db.models import Q

from . import audiences, services
from .consents import SIGNUP_KINDS, WORDINGS
from .models import ContactEnquiry, Council, Member, Message, Topic

JOIN_ROLES = [(Member.Role.COUNCILLOR, "Councillor"), (Member.Role.OFFICER, "Council officer")]


class CouncilChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Council.objects.order_by("name"))
        kwargs.setdefault("empty_label", "Choose your council")
        kwargs.setdefault("error_messages", {"invalid_choice": "Choose one of London's 33 councils from the list."})
        super().__init__(**kwargs)


class InterestsField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Topic.objects.all())
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Areas of interest")
        kwargs.setdefault("help_text", "Choose any that apply. We use them to suggest resources and training.")
        super().__init__(**kwargs)


def _consent_field(kind: str) -> forms.BooleanField:
    wording = WORDINGS[kind]
    return forms.BooleanField(required=False, label=wording.label, help_text=wording.help_text)


def check_role_details(form: forms.Form, role: str, ward: str, job_title: str) -> None:
    """Councillors give a ward, officers a job title, never the other."""
    if role == Member.Role.COUNCILLOR:
        if not ward:
            form.add_error("ward", "Give the ward you represent.")
        if job_title:
            form.add_error("job_title", "Councillors do not need a job title: leave this blank.")
    elif role == Member.Role.OFFICER:
        if not job_title:
            form.add_error("job_title", "Give your job title.")
        if ward:
            form.add_error("ward", "Only councillors have a ward: leave this blank.")


class SignupForm(AllauthSignupForm):
    """allauth's sign-up plus the membership details. Political party is
    deliberately not asked: it is special-category data we do not need."""

    field_order = [
        "first_name",
        "last_name",
        "email",
        "password1",
        "password2",
        "role",
        "council",
        "ward",
        "job_title",
        "interests",
        *[f"consent_{kind}" for kind in SIGNUP_KINDS],
    ]

    first_name = forms.CharField(
        max_length=150, label="First name", widget=forms.TextInput({"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        max_length=150, label="Last name", widget=forms.TextInput({"autocomplete": "family-name"})
    )
    role = forms.ChoiceField(choices=JOIN_ROLES, widget=forms.RadioSelect, label="I am a")
    council = CouncilChoiceField(label="Council")
    ward = forms.CharField(max_length=200, required=False, label="Ward", help_text="Councillors only.")
    job_title = forms.CharField(
        max_length=200,
        required=False,
        label="Job title",
        help_text="Officers only.",
        widget=forms.TextInput({"autocomplete": "organization-title"}),
    )
    interests = InterestsField()
    consent_directory = _consent_field("directory")
    consent_digest = _consent_field("digest")
    consent_research = _consent_field("research")

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        check_role_details(self, role, cleaned.get("ward", "").strip(), cleaned.get("job_title", "").strip())
        self._check_council_domain(cleaned.get("email"), cleaned.get("council"))
        return cleaned

    def _check_council_domain(self, email, council):
        if not email or council is None or "council" in self.errors:
            return
        domain = email.rpartition("@")[2].lower()
        if domain in council.domain_list:
            return
        matches = [c for c in Council.objects.for_email_domain(domain) if c.pk != council.pk]
        if matches:
            names = " or ".join(c.name for c in matches)
            self.add_error(
                "council",
                f"Your email address is on {names}'s domain ({domain}). Choose {names} as your council, "
                f"or join with an address from {council.name}.",
            )

    def save(self, request):
        with transaction.atomic():
            return super().save(request)

    def signup(self, request, user):
        """allauth calls this once the user row exists (same transaction)."""
        data = self.cleaned_data
        services.member_signup(
            user=user,
            role=data["role"],
            council=data["council"],
            ward=data.get("ward", "").strip(),
            job_title=data.get("job_title", "").strip(),
            interests=data.get("interests") or [],
            consents={kind: data.get(f"consent_{kind}", False) for kind in SIGNUP_KINDS},
        )


class ProfileForm(forms.Form):
    first_name = forms.CharField(
        max_length=150, label="First name", widget=forms.TextInput({"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        max_length=150, label="Last name", widget=forms.TextInput({"autocomplete": "family-name"})
    )
    ward = forms.CharField(max_length=200, required=False, label="Ward")
    job_title = forms.CharField(max_length=200, required=False, label="Job title")
    interests = InterestsField()

    def __init__(self, *args, member: Member, **kwargs):
        self.member = member
        super().__init__(*args, **kwargs)
        # Show only the detail that fits the member's role.
        if member.role == Member.Role.COUNCILLOR:
            del self.fields["job_title"]
        else:
            del self.fields["ward"]

    def clean(self):
        cleaned = super().clean()
        if self.member.role != Member.Role.PARTNER:
            check_role_details(
                self, self.member.role, cleaned.get("ward", "").strip(), cleaned.get("job_title", "").strip()
            )
        return cleaned

    @classmethod
    def initial_for(cls, member: Member) -> dict:
        return {
            "first_name": member.user.first_name,
            "last_name": member.user.last_name,
            "ward": member.ward,
            "job_title": member.job_title,
            "interests": list(member.interests.all()),
        }


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(choices=[(kind, kind) for kind in WORDINGS])
    granted = forms.TypedChoiceField(choices=[("1", "yes"), ("0", "no")], coerce=lambda value: value == "1")


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "current-password"}),
        help_text="We ask again to be sure it is you.",
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That password is not right. Your account has not been deleted.")
        return password


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Name")
    council = forms.ModelChoiceField(Council.objects.order_by("name"), required=False, empty_label="Any council")
    role = forms.ChoiceField(required=False, choices=[("", "Any role"), *Member.Role.choices])
    champion = forms.BooleanField(required=False, label="Champions and lead officers only")
    interest = forms.ModelChoiceField(
        Topic.objects.all(), required=False, empty_label="Any area", label="Area of interest", to_field_name="slug"
    )

    def filter(self, members):
        data = self.cleaned_data
        if data.get("q"):
            members = members.search(data["q"])
        if data.get("council"):
            members = members.filter(council=data["council"])
        if data.get("role"):
            members = members.filter(role=data["role"])
        if data.get("champion"):
            members = members.filter(Q(is_champion=True) | Q(is_lead_officer=True))
        if data.get("interest"):
            members = members.filter(interests=data["interest"])
        return members


class ContactForm(forms.ModelForm):
    # A field people never see: bots fill every input they find.
    website = forms.CharField(
        required=False, label="Leave this empty", widget=forms.TextInput({"tabindex": "-1", "autocomplete": "off"})
    )

    class Meta:
        model = ContactEnquiry
        fields = ["name", "email", "council", "role", "message"]
        labels = {"name": "Your name", "email": "Your email address", "role": "You are", "message": "Your message"}
        widgets = {
            "name": forms.TextInput({"autocomplete": "name"}),
            "email": forms.EmailInput({"autocomplete": "email"}),
            "message": forms.Textarea({"rows": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].required = False
        self.fields["council"].empty_label = "Not from a council, or prefer not to say"
        self.fields["council"].label = "Council (optional)"
        self.fields["message"].max_length = 5000

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("website"))

    def enquiry_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason, shown to the applicant",
        widget=forms.Textarea({"rows": 4}),
        max_length=2000,
    )


class ReconfirmForm(forms.Form):
    answer = forms.ChoiceField(choices=[("yes", "I still serve"), ("no", "I no longer serve")])


class MessageForm(forms.ModelForm):
    """Staff write a message and choose its audience in one list: groups of
    approved members, or the people booked on one session or meeting."""

    audience_choice = forms.ChoiceField(label="Send to")
    roles = forms.MultipleChoiceField(
        choices=Member.Role.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every role.",
    )  # fmt: skip

    class Meta:
        model = Message
        fields = ["subject", "body", "kind", "audience_choice", "councils", "roles", "champions_only"]
        widgets = {"kind": forms.RadioSelect}
        help_texts = {"councils": "For “approved members of the chosen councils…”. Leave empty for every council."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups = [
            (
                "Approved members",
                [
                    (Message.EVERYONE, "Everyone approved"),
                    (Message.CHOSEN, "Approved members of the chosen councils, roles or champions (below)"),
                ],
            )
        ]
        for audience in audiences.registered():
            groups.append((audience.label, [(f"{audience.key}:{pk}", label) for pk, label in audience.options()]))
        self.fields["audience_choice"].choices = groups
        instance = self.instance
        if instance.audience_object_id is not None:
            self.initial["audience_choice"] = f"{instance.audience}:{instance.audience_object_id}"
        else:
            self.initial["audience_choice"] = instance.audience

    def clean(self):
        data = super().clean()
        choice = data.get("audience_choice", "")
        key, _, object_id = choice.partition(":")
        booked = bool(object_id)
        if data.get("kind") == Message.Kind.ESSENTIAL and not booked:
            self.add_error(
                "kind",
                "Essential messages are only about something people booked: send to a session's bookings or a "
                "meeting's registrations, or send this as news.",
            )
        chosen = data.get("councils") or data.get("roles") or data.get("champions_only")
        if key == Message.CHOSEN and not chosen:
            self.add_error("audience_choice", "Choose at least one council, role or champions, or send to everyone.")
        if key != Message.CHOSEN and chosen:
            self.add_error("audience_choice", "Councils, roles and champions apply only to “approved members of…”.")
        self.instance.audience = key
        self.instance.audience_object_id = int(object_id) if booked else None
        return data
